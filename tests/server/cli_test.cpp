// The command line as a user runs it: exit status and what is printed.
#include <catch2/catch.hpp>

#include <string>

#include "daemon_test_support.h"

using namespace flatns::test;

namespace {

const std::string kZone =
    "$ORIGIN example.com.\n"
    "$TTL 300\n"
    "@    IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300\n"
    "@    IN NS  ns1.example.com.\n"
    "ns1  IN A   192.0.2.53\n"
    "www  IN A   192.0.2.1\n";

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("flatns --version and --help", "[cli]") {
  TempDir dir;
  auto version = run_flatns({"--version"}, dir.file("out"));
  CHECK(version.exit_status == 0);
  CHECK(version.output.rfind("flatns ", 0) == 0);

  auto help = run_flatns({"--help"}, dir.file("out"));
  CHECK(help.exit_status == 0);
  for (const char* command : {"serve", "check-config", "check-zone", "resolve", "ctl"}) {
    CHECK(contains(help.output, std::string("  ") + command + " "));
  }

  for (const char* command : {"serve", "check-config", "check-zone", "resolve", "ctl"}) {
    auto sub = run_flatns({command, "--help"}, dir.file("out"));
    CHECK(sub.exit_status == 0);
    CHECK(contains(sub.output, std::string("Usage: flatns ") + command));
  }
}

TEST_CASE("usage errors exit 2 with a clear message", "[cli]") {
  TempDir dir;
  auto none = run_flatns({}, dir.file("out"));
  CHECK(none.exit_status == 2);
  CHECK(contains(none.output, "Usage: flatns COMMAND"));

  auto unknown = run_flatns({"frobnicate"}, dir.file("out"));
  CHECK(unknown.exit_status == 2);
  CHECK(contains(unknown.output, "flatns: unknown command 'frobnicate' (see flatns --help)"));

  auto option = run_flatns({"check-config", "--frob"}, dir.file("out"));
  CHECK(option.exit_status == 2);
  CHECK(contains(option.output, "flatns check-config: unknown option '--frob'"));

  auto missing = run_flatns({"serve", "-c"}, dir.file("out"));
  CHECK(missing.exit_status == 2);
  CHECK(contains(missing.output, "flatns serve: option -c needs a FILE"));

  auto args = run_flatns({"check-zone", "example.com"}, dir.file("out"));
  CHECK(args.exit_status == 2);
  CHECK(contains(args.output, "flatns check-zone: expected ORIGIN FILE, got 1 argument(s)"));
}

TEST_CASE("check-config counts zones and records", "[cli]") {
  TempDir dir;
  dir.write("a.zone", kZone);
  dir.write("flatns.yaml",
            "server:\n  listen: [\"127.0.0.1:20150\"]\nzones:\n  - name: example.com\n    file: a.zone\n");
  auto result = run_flatns({"check-config", "-c", dir.file("flatns.yaml")}, dir.file("out"));
  CHECK(result.exit_status == 0);
  CHECK(result.output == "1 zone, 4 records OK\n");
}

TEST_CASE("check-config reports config and zone errors together", "[cli]") {
  TempDir dir;
  dir.write("good.zone", kZone);
  dir.write("bad.zone", kZone + "mail IN A 192.0.2.999\n");
  dir.write("flatns.yaml",
            "server:\n"
            "  workers: none\n"
            "zones:\n"
            "  - name: example.com\n"
            "    file: bad.zone\n"
            "  - name: example.net\n"
            "    file: missing.zone\n"
            "    flatten: sometimes\n");
  auto result = run_flatns({"check-config", "-c", dir.file("flatns.yaml")}, dir.file("out"));
  INFO(result.output);
  CHECK(result.exit_status == 1);
  std::string conf = dir.file("flatns.yaml");
  CHECK(contains(result.output, conf + ":2: server.workers: expected an integer 1-1024, found 'none'"));
  CHECK(contains(result.output, conf + ":8: zones[1].flatten: expected one of apex, all, off, found 'sometimes'"));
  CHECK(contains(result.output, "zone example.com.: " + dir.file("bad.zone") + ":7:"));
  CHECK_FALSE(contains(result.output, "OK"));
}

TEST_CASE("check-config names a missing zone file", "[cli]") {
  TempDir dir;
  dir.write("flatns.yaml", "zones:\n  - name: example.net\n    file: missing.zone\n");
  auto result = run_flatns({"check-config", "-c", dir.file("flatns.yaml")}, dir.file("out"));
  INFO(result.output);
  CHECK(result.exit_status == 1);
  CHECK(contains(result.output, "zone example.net.: " + dir.file("missing.zone")));
}

TEST_CASE("check-zone prints the record count or each error with file:line", "[cli]") {
  TempDir dir;
  dir.write("a.zone", kZone);
  auto ok = run_flatns({"check-zone", "example.com", dir.file("a.zone")}, dir.file("out"));
  CHECK(ok.exit_status == 0);
  CHECK(ok.output == "example.com.: 4 records loaded from " + dir.file("a.zone") + ", OK\n");

  dir.write("b.zone", kZone + "mail IN A 192.0.2.999\nftp IN AAAA nothing\n");
  auto bad = run_flatns({"check-zone", "example.com.", dir.file("b.zone")}, dir.file("out"));
  INFO(bad.output);
  CHECK(bad.exit_status == 1);
  CHECK(contains(bad.output, dir.file("b.zone") + ":7:"));
  CHECK(contains(bad.output, dir.file("b.zone") + ":8:"));
  CHECK(contains(bad.output, "example.com.: 2 errors found in " + dir.file("b.zone")));
}

TEST_CASE("check-zone loads the real root zone", "[cli]") {
  TempDir dir;
  // IANA root zone, serial 2023042001: 24,816 records (tests/data/SOURCES.md).
  auto result = run_flatns({"check-zone", ".", FLATNS_CORPUS_DIR "/root.zone"}, dir.file("out"));
  INFO(result.output);
  CHECK(result.exit_status == 0);
  CHECK(contains(result.output, ".: 24816 records loaded"));
}

TEST_CASE("check-config names a missing trust anchor file", "[cli]") {
  TempDir dir;
  dir.write("flatns.yaml", "resolver:\n  trust_anchors: keys/root.ds\n");
  auto result = run_flatns({"check-config", "-c", dir.file("flatns.yaml")}, dir.file("out"));
  INFO(result.output);
  CHECK(result.exit_status == 1);
  CHECK(contains(result.output, dir.file("flatns.yaml") + ": resolver.trust_anchors: cannot open " +
                                    dir.file("keys/root.ds") + ": No such file or directory"));
}
