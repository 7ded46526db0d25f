// lbha-heartbeatd --release-vips (the unit's ExecStopPost) after a kill -9:
// the kernel keeps the VIPs of a killed daemon; the command removes exactly
// cluster.yaml's VIPs (IPv4 and IPv6) from node.yaml's interface and leaves
// every other address alone (label `lab`, root).
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "tests/heartbeatd/lab/ha_pair.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::heartbeat::lab_tests {
namespace {

using namespace std::chrono_literals;

class release_vips_lab : public lab::lab_test {};

// Every address on the node's eth0 ("192.0.2.1/24", "fe80::.../64").
std::set<std::string> addresses(const lab::lab& l, const std::string& node) {
  auto r = l.exec_checked(node, {"ip", "-o", "addr", "show", "dev", "eth0"});
  std::set<std::string> out;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string index, dev, family, address;
    words >> index >> dev >> family >> address;
    if (!address.empty()) out.insert(address);
  }
  return out;
}

TEST_F(release_vips_lab, after_kill_9_release_vips_removes_exactly_the_vips_of_cluster_yaml) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 1, .ipv6 = true});
  ha_pair p(l, {.ipv6_vip = true});
  ASSERT_EQ(p.wait_single_owner(5s), 1);
  ASSERT_TRUE(lab::wait_until([&] { return p.holds_vip6(1); }, 2s));
  // Something the node has of its own, beside its configured address.
  l.add_address("lb1", "198.51.100.7/24");

  p.daemon(1).kill();
  ASSERT_TRUE(p.holds_vip(1)) << "the kernel keeps the address of a killed daemon";
  ASSERT_TRUE(p.holds_vip6(1));
  auto before = addresses(l, "lb1");
  ASSERT_TRUE(before.count(p.vip() + "/32"));
  ASSERT_TRUE(before.count(vip6 + "/128"));

  const std::vector<std::string> release = {lab::built_binary(LBHA_HEARTBEATD_PATH).string(),
                                            "--release-vips", "--node-config",
                                            l.lb(1).node_yaml().string()};
  auto r = l.exec("lb1", release);
  ASSERT_TRUE(r.ok()) << r.out << r.err;

  auto expected = before;
  expected.erase(p.vip() + "/32");
  expected.erase(vip6 + "/128");
  EXPECT_EQ(addresses(l, "lb1"), expected);
  EXPECT_TRUE(expected.count(l.lb(1).ipv4 + "/24")) << "the node's own address stays";
  EXPECT_TRUE(expected.count("198.51.100.7/24"));
  EXPECT_FALSE(p.holds_vip(1));
  EXPECT_FALSE(p.holds_vip6(1));

  // Nothing left to release is no error (ExecStopPost after a clean stop).
  auto again = l.exec("lb1", release);
  EXPECT_TRUE(again.ok()) << again.out << again.err;
  EXPECT_EQ(addresses(l, "lb1"), expected);
}

}  // namespace
}  // namespace lbha::heartbeat::lab_tests
