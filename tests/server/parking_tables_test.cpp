// The fixed-size tables behind parking: ParkedQueries never grows past its
// capacity and reuses released entries; RequestedTargets remembers a target
// until it completes or its window passes, and gives up (rather than grows)
// when full.
#include <catch2/catch.hpp>

#include "server/parked_queries.h"
#include "server/requested_targets.h"

using namespace flatns::server;

TEST_CASE("parked queries: full at capacity, entries reused after release") {
  ParkedQueries table(3);
  ParkedQuery* a = table.add();
  ParkedQuery* b = table.add();
  ParkedQuery* c = table.add();
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(table.size() == 3);
  CHECK(table.add() == nullptr);
  a->deadline_ms = 300;
  b->deadline_ms = 100;
  c->deadline_ms = 200;
  CHECK(table.earliest_deadline() == 100);
  table.release(*b);
  table.release(*b);  // twice is once
  CHECK(table.size() == 2);
  CHECK(table.earliest_deadline() == 200);
  ParkedQuery* again = table.add();
  CHECK(again == b);
  CHECK(table.add() == nullptr);
  table.release(*a);
  table.release(*again);
  table.release(*c);
  CHECK(table.size() == 0);
  CHECK(table.earliest_deadline() == UINT64_MAX);
}

TEST_CASE("requested targets: outstanding until completed or the window passes") {
  RequestedTargets targets(8);
  CHECK_FALSE(targets.outstanding(42, 1000, 500));
  targets.asked(42, 1000, 500);
  CHECK(targets.outstanding(42, 1200, 500));
  CHECK_FALSE(targets.outstanding(42, 1500, 500));  // the window passed
  CHECK_FALSE(targets.outstanding(43, 1200, 500));
  targets.completed(42);
  CHECK_FALSE(targets.outstanding(42, 1200, 500));
  targets.asked(42, 2000, 500);
  CHECK(targets.outstanding(42, 2000, 500));
  targets.clear();
  CHECK_FALSE(targets.outstanding(42, 2000, 500));
}

TEST_CASE("requested targets: colliding hashes are told apart, and a full table forgets instead of growing") {
  RequestedTargets targets(16);  // 16 slots
  for (uint64_t i = 1; i <= 16; ++i) targets.asked(i * 16, 1000, 500);  // all start at slot 0
  for (uint64_t i = 1; i <= 16; ++i) CHECK(targets.outstanding(i * 16, 1100, 500));
  targets.asked(17 * 16, 1000, 500);  // no idle slot within reach: not remembered
  CHECK_FALSE(targets.outstanding(17 * 16, 1100, 500));
  targets.completed(5 * 16);
  targets.asked(17 * 16, 1100, 500);  // takes the completed one's slot
  CHECK(targets.outstanding(17 * 16, 1200, 500));
  CHECK_FALSE(targets.outstanding(5 * 16, 1200, 500));
  CHECK(targets.outstanding(6 * 16, 1200, 500));
}
