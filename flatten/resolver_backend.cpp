// ResolverBackend over the embedded resolver: its clock, transport and
// Resolver live on the flatten service's loop, as `flatns resolve` builds them
// (resolver-client/resolve_command.cpp).
#include <memory>

#include "flatten/service.h"
#include "resolver-client/clock.h"
#include "resolver-client/uv_transport.h"

namespace flatns::flatten {

namespace {

class EmbeddedResolver final : public ResolverBackend {
 public:
  EmbeddedResolver(uv_loop_t* loop, resolver::ResolverSettings settings)
      : clock_(loop),
        transport_(loop, settings.limits.max_response_size, settings.traffic),
        resolver_(std::move(settings), transport_, clock_) {}

  bool init(std::string& error) { return resolver_.init(error); }

  void resolve(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
               resolver::ResultCallback done) override {
    resolver_.resolve(name, qtype, deadline_ms, std::move(done));
  }

  void refresh(const dns::Name& name, uint16_t qtype, uint32_t deadline_ms,
               resolver::ResultCallback done) override {
    resolver_.resolve(name, qtype, deadline_ms, resolver::ResolveOptions{.refresh = true}, std::move(done));
  }

  resolver::Resolver* resolver() override { return &resolver_; }

 private:
  // Destroyed in reverse order: the resolver first, then the transport and
  // the clock, whose handles close on the loop.
  resolver::UvClock clock_;
  resolver::UvTransport transport_;
  resolver::Resolver resolver_;
};

}  // namespace

std::unique_ptr<ResolverBackend> make_resolver_backend(uv_loop_t* loop, resolver::ResolverSettings settings,
                                                       std::string& error) {
  auto backend = std::make_unique<EmbeddedResolver>(loop, std::move(settings));
  if (!backend->init(error)) return nullptr;
  return backend;
}

}  // namespace flatns::flatten
