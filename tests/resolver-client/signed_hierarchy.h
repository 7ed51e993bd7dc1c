// A small signed hierarchy for resolver tests on the fake network, signed at
// test time with ldns-keygen + ldns-signzone (ECDSA P-256, NSEC), children
// first so each parent carries its child's DS:
//
//   .                  127.53.0.1   trust anchor: the DS of its KSK
//   example.           127.53.9.1   www, bad (A RRSIG corrupted), alias CNAME
//                                   www.unsigned.example., a-inzone CNAME www,
//                                   deep ENT x.y
//   sub.example.       127.53.9.1   signed child on its parent's server: no
//                                   referral shows the cut
//   unsigned.example.  127.53.9.1   unsigned child (no DS: NSEC proves it)
//
// Signatures are valid 2026-01-01 .. 2030-01-01; set the fake clock inside.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "fake_network.h"
#include "resolver-client/resolver_settings.h"
#include "tests/support/temp_file.h"
#include "validator_test_util.h"

namespace flatns::testutil {

inline constexpr int64_t kHierarchyNow = 1798761600;  // 2027-01-01

struct SignedHierarchy {
  std::map<std::string, std::string> zone_text;  // origin -> signed (or plain) zone text
  std::string root_ds;                           // the trust anchor, zone-file syntax
};

inline const SignedHierarchy& signed_hierarchy() {
  static const SignedHierarchy built = [] {
    const std::map<std::string, std::string> zones = {
        {"sub.example.",
         "sub.example. 3600 IN SOA ns.example. h.example. 1 1800 900 604800 300\n"
         "sub.example. 3600 IN NS ns.example.\n"
         "www.sub.example. 600 IN A 192.0.2.10\n"},
        {"unsigned.example.",
         "unsigned.example. 3600 IN SOA ns.example. h.example. 1 1800 900 604800 300\n"
         "unsigned.example. 3600 IN NS ns.example.\n"
         "www.unsigned.example. 900 IN A 192.0.2.20\n"},
        {"example.",
         "example. 3600 IN SOA ns.example. h.example. 1 1800 900 604800 300\n"
         "example. 3600 IN NS ns.example.\n"
         "ns.example. 3600 IN A 127.53.9.1\n"
         "www.example. 600 IN A 192.0.2.1\n"
         "bad.example. 600 IN A 192.0.2.66\n"
         "alias.example. 300 IN CNAME www.unsigned.example.\n"
         "a-inzone.example. 300 IN CNAME www.example.\n"
         "a.x.y.example. 600 IN A 192.0.2.30\n"
         "sub.example. 3600 IN NS ns.example.\n"
         "unsigned.example. 3600 IN NS ns.example.\n"},
        {".",
         ". 86400 IN SOA a.root. h.root. 1 1800 900 604800 86400\n"
         ". 86400 IN NS a.root.\n"
         "a.root. 86400 IN A 127.53.0.1\n"
         "example. 3600 IN NS ns.example.\n"
         "ns.example. 3600 IN A 127.53.9.1\n"},
    };
    const std::map<std::string, std::string> parent = {{"sub.example.", "example."},
                                                       {"example.", "."}};
    const std::string dir = flatns::testing::make_temp_dir("flatns-hierarchy");
    auto run = [&](const std::string& cmd) {
      const std::string full = "cd " + dir + " && " + cmd + " > cmd.out 2>&1";
      if (std::system(full.c_str()) != 0) {
        throw std::runtime_error(cmd + " failed: " + read_text(dir + "/cmd.out"));
      }
      std::string out = read_text(dir + "/cmd.out");
      out.erase(out.find_last_not_of("\n") + 1);
      return out;
    };
    SignedHierarchy h;
    std::map<std::string, std::string> text = zones;
    for (const char* origin : {"sub.example.", "example.", "."}) {
      const std::string file = std::string(origin) == "." ? "root" : origin;
      std::ofstream(dir + "/" + file + "zone") << text[origin];
      const std::string ksk = run(std::string("ldns-keygen -a ECDSAP256SHA256 -k ") + origin);
      const std::string zsk = run(std::string("ldns-keygen -a ECDSAP256SHA256 ") + origin);
      run("ldns-signzone -i 20260101 -e 20300101 -o " + std::string(origin) + " -f " + file +
          "signed " + file + "zone " + zsk + " " + ksk);
      h.zone_text[origin] = read_text(dir + "/" + file + "signed");
      const std::string ds = read_text(dir + "/" + ksk + ".ds");
      if (auto p = parent.find(origin); p != parent.end()) {
        text[p->second] += ds;
      } else {
        h.root_ds = ds;
      }
    }
    h.zone_text["unsigned.example."] = zones.at("unsigned.example.");
    std::filesystem::remove_all(dir);
    return h;
  }();
  return built;
}

// The hierarchy on the fake network, its clock inside the signatures'
// validity, and the settings that start from its root and trust its KSK.
struct SignedWorld {
  FakeNetwork net;
  FakeAuthority root, children;

  SignedWorld() {
    const auto& h = signed_hierarchy();
    net.set_wall(kHierarchyNow);
    root.add_zone(".", h.zone_text.at("."));
    for (const char* z : {"example.", "sub.example.", "unsigned.example."}) children.add_zone(z, h.zone_text.at(z));
    net.serve("127.53.0.1", root.handler());
    net.serve("127.53.9.1", children.handler());
  }

  [[nodiscard]] resolver::ResolverSettings settings() const {
    resolver::ResolverSettings s;
    s.root_hints = {address("127.53.0.1")};
    s.trust_anchors_text = signed_hierarchy().root_ds;
    return s;
  }
};

}  // namespace flatns::testutil
