// One scenario of the split-brain catalogue: what runs while it acts, and the
// audits after it.
//
//   auto& p = make_product();
//   scenario s(p, "make_active_on_the_passive_node", {.outage_budget = 1500ms});
//   ... act: p.lbctl(2, {"make-active"}), faults, kills ...
//   EXPECT_AUDIT(s);
//
// From construction: a vip_watch over both LB nodes and every VIP of the
// deployment, and the clients' probes: client1 and client2 each probe
// IIS_VIP:443 (sticky: source-IP persistence must keep each on one real server
// throughout), DA_VIP:9001, and with IPv6 [IIS6_VIP]:443 (sticky). finish()
// runs tests/lab/audit.hpp's audit over both nodes (one owner per VIP, the
// clients' neighbour entries, one config generation, the same persistence
// entries, no daemon exited, each probe's outage within the budget and the
// sticky probes on one server) and prints the LAB-RESULT line.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/lab/audit.hpp"
#include "tests/lab/client_probe.hpp"
#include "tests/lab/vip_watch.hpp"
#include "tests/product/product.hpp"

namespace lbha::lab {

struct scenario_options {
  // The longest outage any client may see during the scenario.
  std::chrono::milliseconds outage_budget{2000};
  // How long the node-state audits may take to converge after the scenario.
  std::chrono::milliseconds settle{5000};
};

class scenario {
 public:
  scenario(product_lab& p, std::string name, scenario_options options = {});
  ~scenario();
  scenario(const scenario&) = delete;
  scenario& operator=(const scenario&) = delete;

  client_probe& sticky() { return *probes_.front(); }  // client1 -> IIS_VIP (sticky)
  client_probe& plain() { return *probes_.at(1); }     // client1 -> DA_VIP
  const std::vector<std::unique_ptr<client_probe>>& probes() const { return probes_; }
  vip_watch& watch() { return *watch_; }
  // Which real server the sticky client is on ("IIS1"), empty before any answer.
  std::string sticky_server() const;

  // Stops the probes and the watch, runs every audit, prints LAB-RESULT.
  audit_report finish();

 private:
  product_lab& product_;
  std::string name_;
  scenario_options options_;
  std::unique_ptr<vip_watch> watch_;
  std::vector<std::unique_ptr<client_probe>> probes_;
};

// Fails the test (not fatally) with the audit's report unless it passes.
#define EXPECT_AUDIT(s)                          \
  do {                                           \
    const auto audit_report_ = (s).finish();     \
    EXPECT_TRUE(audit_report_.ok()) << audit_report_.describe(); \
  } while (0)

}  // namespace lbha::lab
