// The product lab itself: the pair as an operator sets it up, from node.yaml
// and `lbctl pair` to the seed's deployment, with nothing but lbctl.
#include <gtest/gtest.h>

#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"
#include "tests/product/product_fixture.hpp"
#include "tests/product/scenario.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

class product_smoke : public product_test {};

TEST_F(product_smoke, lbctl_pair_and_lbctl_alone_make_the_seed_deployment) {
  auto& p = make_product();
  const int owner = p.wait_for_single_owner(10s);
  ASSERT_EQ(owner, 1) << "lb1 (the higher priority) owns the VIPs";

  // Clients reach both services through the VIPs.
  const auto& client = p.lab().client(1);
  auto iis = http_get(client.netns, product_lab::iis_vip, product_lab::iis_port);
  ASSERT_TRUE(iis.ok) << iis.error;
  EXPECT_NE(iis.body.find("server IIS"), std::string::npos) << iis.body;
  auto da = http_get(client.netns, product_lab::da_vip, product_lab::da_port);
  ASSERT_TRUE(da.ok) << da.error;
  EXPECT_NE(da.body.find("server DA"), std::string::npos) << da.body;

  // Both nodes run every daemon at the default paths and have the same config.
  for (int i = 1; i <= 2; ++i) {
    auto status = p.lbctl(i, {"status"});
    EXPECT_TRUE(status.ok()) << status.describe({"lbctl", "status"});
    EXPECT_NE(status.out.find("IIS_VIP"), std::string::npos) << status.out;
    EXPECT_TRUE(std::filesystem::exists(p.lb(i).state_dir() / "heartbeat.key"));
  }
  EXPECT_EQ(p.lab().exec_checked("lb1", {"cat", "/etc/lbha/cluster.yaml"}).out,
            p.lab().exec_checked("lb2", {"cat", "/etc/lbha/cluster.yaml"}).out);
  // The secondary's login password was locked by `lbctl pair --lock-password`.
  const auto shadow = p.lab().exec_checked("lb2", {"getent", "shadow", "loadbalancer"}).out;
  EXPECT_NE(shadow.find(":!"), std::string::npos) << shadow;
  // What the WebUI's pairing shows to confirm first: the peer's host key, no pairing.
  const auto shown = p.lbctl(1, {"pair", "--peer", p.lb(2).ipv4, "--show-fingerprint"});
  EXPECT_TRUE(shown.ok()) << shown.err;
  EXPECT_NE(shown.out.find(p.host_fingerprint(2)), std::string::npos) << shown.out;
}

// The audits pass on a healthy pair with clients running: the baseline every
// scenario is compared with.
TEST_F(product_smoke, a_quiet_pair_passes_every_audit) {
  auto& p = make_product();
  scenario s(p, "quiet_pair", {.outage_budget = 0ms});
  ASSERT_TRUE(wait_until([&] { return s.sticky().successes() > 20 && s.plain().successes() > 20; },
                         10s));
  EXPECT_FALSE(s.sticky_server().empty());
  EXPECT_AUDIT(s);
  // Nothing moved: no interval with both or neither node holding a VIP.
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
}

}  // namespace
}  // namespace lbha::lab
