// Two heartbeat paths (eth0 on 192.0.2.0/24, eth1 on 198.51.100.0/24): cutting
// either keeps the pair as it is, and GetStatus (`lbctl ha status`) shows which
// path is down (label `lab`, root).
#include <gtest/gtest.h>

#include <thread>

#include "tests/heartbeatd/lab/ha_pair.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::heartbeat::lab_tests {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;
using lab::wait_until;

class heartbeatd_multipath_lab : public lab::lab_test {
 protected:
  void TearDown() override {
    pair_.reset();
    lab::lab_test::TearDown();
  }
  std::unique_ptr<ha_pair> pair_;
};

// Path `path` as both nodes see it.
bool path_alive_on_both(const ha_pair& p, int path, bool alive) {
  for (int i = 1; i <= 2; ++i) {
    const auto s = p.status(i);
    if (s.paths_size() != 2 || s.paths(path).alive() != alive) return false;
  }
  return true;
}

// lb1 active with the VIP, lb2 passive, each seeing the other alive.
void expect_unchanged(const ha_pair& p) {
  const auto s1 = p.status(1), s2 = p.status(2);
  EXPECT_EQ(s1.role(), v1::ROLE_ACTIVE);
  EXPECT_EQ(s2.role(), v1::ROLE_PASSIVE);
  EXPECT_TRUE(s1.peer_alive());
  EXPECT_TRUE(s2.peer_alive());
  EXPECT_EQ(s1.takeovers() + s2.takeovers(), 1u);
  EXPECT_TRUE(p.holds_vip(1));
  EXPECT_FALSE(p.holds_vip(2));
}

TEST_F(heartbeatd_multipath_lab, cutting_one_of_two_paths_changes_no_role_and_status_shows_the_path_down) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 1, .lb_links = 2});
  pair_ = std::make_unique<ha_pair>(l, pair_options{});
  auto& p = *pair_;
  ASSERT_EQ(p.wait_single_owner(5s), 1);
  // Each path's heartbeats arrive from that path's address, so both count as alive.
  ASSERT_TRUE(wait_until([&] { return path_alive_on_both(p, 0, true); }, 3s));
  ASSERT_TRUE(wait_until([&] { return path_alive_on_both(p, 1, true); }, 3s));
  EXPECT_EQ(p.status(2).paths(1).address(), l.lb(1).ipv4_b);

  // Path 0: the heartbeat port dropped between lb1 and lb2 on the first bridge.
  const int cut = l.partition("lb1", "lb2", {.port = lab::port_match{lab::transport::udp, 6694}});
  ASSERT_TRUE(wait_until([&] { return path_alive_on_both(p, 0, false); }, 3s));
  std::this_thread::sleep_for(1500ms);  // past deadtime: a lost peer would be taken over by now
  EXPECT_TRUE(path_alive_on_both(p, 0, false));
  EXPECT_TRUE(path_alive_on_both(p, 1, true));
  expect_unchanged(p);
  l.heal(cut);
  EXPECT_TRUE(wait_until([&] { return path_alive_on_both(p, 0, true); }, 3s));

  // Path 1: lb2's second cable pulled.
  l.link_down("lb2", 2);
  ASSERT_TRUE(wait_until([&] { return path_alive_on_both(p, 1, false); }, 3s));
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(path_alive_on_both(p, 0, true));
  expect_unchanged(p);
  l.link_up("lb2", 2);
  EXPECT_TRUE(wait_until([&] { return path_alive_on_both(p, 1, true); }, 3s));
  expect_unchanged(p);
}

}  // namespace
}  // namespace lbha::heartbeat::lab_tests
