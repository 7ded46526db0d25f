// The peers port's limits on a manual clock.
#include "replicator/sync/limits.hpp"

#include <gtest/gtest.h>

namespace lbha::sync {
namespace {

TEST(connection_limits, caps_each_source_and_the_total) {
  connection_limits limits({.connections_per_source = 2, .connections_total = 3});
  EXPECT_TRUE(limits.admit("192.0.2.2"));
  EXPECT_TRUE(limits.admit("192.0.2.2"));
  EXPECT_FALSE(limits.admit("192.0.2.2"));  // a flood from one address
  EXPECT_TRUE(limits.admit("192.0.2.3"));
  EXPECT_FALSE(limits.admit("192.0.2.4"));  // the total
  EXPECT_EQ(limits.open(), 3u);
  limits.release("192.0.2.2");
  EXPECT_TRUE(limits.admit("192.0.2.4"));
  limits.release("192.0.2.2");
  EXPECT_TRUE(limits.admit("192.0.2.2"));
  EXPECT_FALSE(limits.admit("192.0.2.5"));  // the total again
}

TEST(retry_backoff, doubles_from_first_to_max_and_resets) {
  retry_backoff b(100ms, 1s);
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.next(), 1s);
  b.reset();
  EXPECT_EQ(b.next(), 100ms);
}

TEST(rate_limiter, lets_one_event_through_per_interval) {
  manual_clock clock;
  rate_limiter r(10s);
  EXPECT_EQ(r.next_allowed(clock.now()), clock.now());
  EXPECT_TRUE(r.allow(clock.now()));
  const auto first = clock.now();
  clock.advance(9s);
  EXPECT_FALSE(r.allow(clock.now()));
  EXPECT_EQ(r.next_allowed(clock.now()), first + 10s);
  clock.advance(1s);
  EXPECT_TRUE(r.allow(clock.now()));
  EXPECT_FALSE(r.allow(clock.now()));
}

}  // namespace
}  // namespace lbha::sync
