#include "proxy/balancer.hpp"

#include "proxy/address.hpp"

#include <map>

#include <gtest/gtest.h>

namespace lbha::proxy {
namespace {

struct fake_pool {
  std::vector<server_view> servers;
  auto view() {
    return [this](std::size_t i) { return servers[i]; };
  }
};

fake_pool pool_of(std::vector<std::uint32_t> weights) {
  fake_pool p;
  for (auto w : weights) p.servers.push_back({w, w > 0, 0});
  return p;
}

std::vector<std::uint64_t> seeds(std::size_t n) {
  std::vector<std::uint64_t> s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(1000 + i);
  return s;
}

TEST(balancer, schedule_is_weighted_and_interleaved) {
  auto s = balancer::schedule({100, 200, 0});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(std::count(s.begin(), s.end(), 1), 2);
  EXPECT_EQ(std::count(s.begin(), s.end(), 2), 0);
  s = balancer::schedule({5, 1, 1});
  EXPECT_EQ(s, (std::vector<std::uint16_t>{0, 0, 1, 0, 2, 0, 0}));
  EXPECT_TRUE(balancer::schedule({0, 0}).empty());
}

TEST(balancer, roundrobin_follows_weights) {
  auto p = pool_of({1, 3});
  balancer b(balance_policy::roundrobin, {1, 3}, seeds(2));
  std::map<std::size_t, int> count;
  for (int i = 0; i < 400; ++i) ++count[*b.pick(2, p.view(), 0)];
  EXPECT_EQ(count[0], 100);
  EXPECT_EQ(count[1], 300);
}

TEST(balancer, roundrobin_skips_unavailable) {
  auto p = pool_of({1, 1, 1});
  p.servers[1].available = false;
  balancer b(balance_policy::roundrobin, {1, 1, 1}, seeds(3));
  for (int i = 0; i < 30; ++i) EXPECT_NE(*b.pick(3, p.view(), 0), 1u);
  p.servers[0].available = p.servers[2].available = false;
  EXPECT_FALSE(b.pick(3, p.view(), 0));
}

TEST(balancer, leastconn_prefers_least_loaded_per_weight) {
  auto p = pool_of({100, 200});
  balancer b(balance_policy::leastconn, {100, 200}, seeds(2));
  // Hold every picked connection open: the loads must settle at 1:2.
  for (int i = 0; i < 30; ++i) ++p.servers[*b.pick(2, p.view(), 0)].active;
  EXPECT_EQ(p.servers[0].active, 10u);
  EXPECT_EQ(p.servers[1].active, 20u);
}

TEST(balancer, leastconn_rotates_between_idle_equals) {
  auto p = pool_of({1, 1, 1});
  balancer b(balance_policy::leastconn, {1, 1, 1}, seeds(3));
  std::map<std::size_t, int> count;
  for (int i = 0; i < 30; ++i) ++count[*b.pick(3, p.view(), 0)];
  EXPECT_EQ(count[0], 10);
  EXPECT_EQ(count[1], 10);
  EXPECT_EQ(count[2], 10);
}

TEST(balancer, weight_zero_and_unavailable_take_no_new_clients) {
  for (auto policy : {balance_policy::leastconn, balance_policy::roundrobin, balance_policy::source}) {
    auto p = pool_of({0, 100, 100});
    p.servers[2].available = false;
    balancer b(policy, {0, 100, 100}, seeds(3));
    for (std::uint64_t i = 0; i < 50; ++i) EXPECT_EQ(*b.pick(3, p.view(), client_key::mix(i)), 1u);
  }
}

TEST(balancer, source_is_stable_and_weighted) {
  auto p = pool_of({100, 300});
  balancer b(balance_policy::source, {100, 300}, seeds(2));
  std::map<std::size_t, int> count;
  for (std::uint64_t c = 0; c < 4000; ++c) {
    const auto h = client_key::mix(c);
    const auto first = *b.pick(2, p.view(), h);
    EXPECT_EQ(*b.pick(2, p.view(), h), first);
    ++count[first];
  }
  EXPECT_NEAR(count[0], 1000, 150);
  EXPECT_NEAR(count[1], 3000, 150);
}

TEST(balancer, source_moves_only_the_failed_servers_clients) {
  auto p = pool_of({1, 1, 1});
  balancer b(balance_policy::source, {1, 1, 1}, seeds(3));
  std::vector<std::size_t> before;
  for (std::uint64_t c = 0; c < 300; ++c) before.push_back(*b.pick(3, p.view(), client_key::mix(c)));
  p.servers[2].available = false;
  for (std::uint64_t c = 0; c < 300; ++c) {
    const auto now = *b.pick(3, p.view(), client_key::mix(c));
    if (before[c] != 2) {
      EXPECT_EQ(now, before[c]);
    }
    EXPECT_NE(now, 2u);
  }
}

}  // namespace
}  // namespace lbha::proxy
