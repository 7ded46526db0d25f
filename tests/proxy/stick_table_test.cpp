#include "proxy/stick_table.hpp"

#include <gtest/gtest.h>

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;

client_key v4(const char* text) { return client_key::from(asio::ip::make_address(text)); }

TEST(stick_table, remembers_and_expires) {
  manual_clock clock;
  stick_table table(clock, 100, 1);
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.1"), 10s));
  table.stick("web", v4("192.0.2.1"), "rip1", 10s);
  EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "rip1");
  EXPECT_FALSE(table.lookup("other", v4("192.0.2.1"), 10s)) << "keys are per service";
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.2"), 10s));
  clock.advance(10s);
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.1"), 10s)) << "expired exactly at its deadline";
  EXPECT_EQ(table.size(), 0u);
}

TEST(stick_table, use_refreshes_expiry) {
  manual_clock clock;
  stick_table table(clock, 100, 1);
  table.stick("web", v4("192.0.2.1"), "rip1", 10s);
  for (int i = 0; i < 5; ++i) {
    clock.advance(9s);
    EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "rip1") << i;
  }
  clock.advance(10s);
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.1"), 10s));
}

TEST(stick_table, ipv4_and_ipv6_keys_are_distinct) {
  manual_clock clock;
  stick_table table(clock, 100);
  const auto a6 = client_key::from(asio::ip::make_address("2001:db8::1"));
  const auto mapped = client_key::from(asio::ip::make_address("::ffff:192.0.2.1"));
  table.stick("web", v4("192.0.2.1"), "rip4", 10s);
  table.stick("web", a6, "rip6", 10s);
  EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "rip4");
  EXPECT_EQ(table.lookup("web", a6, 10s), "rip6");
  EXPECT_FALSE(table.lookup("web", mapped, 10s));
  EXPECT_EQ(a6.to_bytes().size(), 16u);
  EXPECT_EQ(client_key::from_bytes(a6.to_bytes()), a6);
  EXPECT_FALSE(client_key::from_bytes("abc"));
}

TEST(stick_table, restick_replaces_server) {
  manual_clock clock;
  stick_table table(clock, 100);
  table.stick("web", v4("192.0.2.1"), "rip1", 10s);
  table.stick("web", v4("192.0.2.1"), "rip2", 10s);
  EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "rip2");
  EXPECT_EQ(table.size(), 1u);
}

TEST(stick_table, full_table_evicts_entry_nearest_expiry) {
  manual_clock clock;
  stick_table table(clock, 3, 1);
  table.stick("web", v4("192.0.2.1"), "a", 10s);
  clock.advance(1s);
  table.stick("web", v4("192.0.2.2"), "b", 10s);
  clock.advance(1s);
  table.stick("web", v4("192.0.2.3"), "c", 10s);
  clock.advance(1s);
  // .1 is refreshed, so .2 is now the nearest to expiry.
  EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "a");
  table.stick("web", v4("192.0.2.4"), "d", 10s);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.statistics().evicted, 1u);
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.2"), 10s));
  EXPECT_EQ(table.lookup("web", v4("192.0.2.1"), 10s), "a");
  EXPECT_EQ(table.lookup("web", v4("192.0.2.3"), 10s), "c");
  EXPECT_EQ(table.lookup("web", v4("192.0.2.4"), 10s), "d");
}

TEST(stick_table, full_table_drops_expired_before_evicting) {
  manual_clock clock;
  stick_table table(clock, 2, 1);
  table.stick("web", v4("192.0.2.1"), "a", 1s);
  table.stick("web", v4("192.0.2.2"), "b", 10s);
  clock.advance(2s);
  table.stick("web", v4("192.0.2.3"), "c", 10s);
  EXPECT_EQ(table.statistics().evicted, 0u);
  EXPECT_EQ(table.statistics().expired, 1u);
  EXPECT_EQ(table.lookup("web", v4("192.0.2.2"), 10s), "b");
}

TEST(stick_table, sweep_removes_only_expired) {
  manual_clock clock;
  stick_table table(clock, 1000);
  for (int i = 0; i < 100; ++i) {
    auto k = v4("192.0.2.0");
    k.bytes[3] = static_cast<std::uint8_t>(i);
    table.stick("web", k, "a", i < 40 ? 5s : 20s);
  }
  clock.advance(6s);
  EXPECT_EQ(table.expire(), 40u);
  EXPECT_EQ(table.size(), 60u);
}

TEST(stick_table, local_changes_are_published_remote_ones_are_not) {
  manual_clock clock;
  stick_table table(clock, 100);
  auto sub = table.subscribe();
  table.stick("web", v4("192.0.2.1"), "rip1", 100s);
  table.apply_remote("web", v4("192.0.2.2"), "rip2", 50s);
  auto changes = sub->take(10, 0ms);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].client, v4("192.0.2.1"));
  EXPECT_EQ(changes[0].real_server, "rip1");
  EXPECT_EQ(changes[0].expires, clock.now() + 100s);
  EXPECT_EQ(table.lookup("web", v4("192.0.2.2"), 100s), "rip2") << "remote entry usable";

  // A use shortly after is not worth announcing; one that moves expiry by
  // more than a quarter of the timeout is.
  sub->take(10, 0ms);
  clock.advance(10s);
  table.lookup("web", v4("192.0.2.1"), 100s);
  EXPECT_TRUE(sub->take(10, 0ms).empty());
  clock.advance(20s);
  table.lookup("web", v4("192.0.2.1"), 100s);
  changes = sub->take(10, 0ms);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].expires, clock.now() + 100s);
}

TEST(stick_table, remote_zero_lifetime_removes) {
  manual_clock clock;
  stick_table table(clock, 100);
  table.stick("web", v4("192.0.2.1"), "rip1", 100s);
  table.apply_remote("web", v4("192.0.2.1"), "rip1", 0ms);
  EXPECT_FALSE(table.lookup("web", v4("192.0.2.1"), 100s));
}

TEST(stick_table, slow_subscriber_drops_oldest_and_counts) {
  manual_clock clock;
  stick_table table(clock, 100);
  auto sub = table.subscribe(2);
  for (int i = 1; i <= 3; ++i) {
    auto k = v4("192.0.2.0");
    k.bytes[3] = static_cast<std::uint8_t>(i);
    table.stick("web", k, "a", 10s);
  }
  auto changes = sub->take(10, 0ms);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].client.bytes[3], 2);
  EXPECT_EQ(sub->dropped(), 1u);
}

TEST(stick_table, for_each_visits_live_entries) {
  manual_clock clock;
  stick_table table(clock, 100);
  table.stick("web", v4("192.0.2.1"), "a", 10s);
  table.stick("web", v4("192.0.2.2"), "b", 1s);
  clock.advance(2s);
  std::vector<std::string> seen;
  table.for_each([&](const stick_change& c) { seen.push_back(c.real_server); });
  EXPECT_EQ(seen, std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace lbha::proxy
