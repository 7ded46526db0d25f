// The split-brain catalogue (issue 15, item 3), lifecycle part: nodes and
// daemons stopped, killed and restarted, the way systemd and power cuts do it.
//
//   1  stop and restart one node, each role (a clean shutdown: every daemon
//      stopped with SIGTERM in reverse start order, then started again);
//   2  both nodes booted at the same moment after a power cut;
//   3  a node killed during its startup grace (initdead);
//   5  kill -9 of proxyd on the active node;
//   6  kill -9 of heartbeatd, syncd and replicatord in turn on each node;
//   12 restart of the controller daemons on the active node, without and with heartbeatd;
//   14 SIGKILL of the active heartbeatd and its restart.
//
// "Restart as systemd Restart= would" means at once: the lab starts the
// daemon again right after the kill (RestartSec's default is 100 ms).
#include <gtest/gtest.h>

#include <thread>

#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"
#include "tests/product/product_fixture.hpp"
#include "tests/product/scenario.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The product's default HA timings (heartbeatd/README.md, product.hpp).
constexpr milliseconds interval = 100ms;
constexpr milliseconds deadtime = 1000ms;
constexpr milliseconds initdead = 3000ms;
// client_probe: an attempt every 20 ms with a 200 ms timeout, so a client sees
// the end of an outage up to one timeout plus one interval after it ended.
constexpr milliseconds probe_lag = 220ms;
// Scheduling slack on the shared 2-core machine (load 7 to 14 while the other
// engineers build): the heartbeat thread is SCHED_RR, the probes are not.
constexpr milliseconds slack = 280ms;

// A takeover from a silent peer: deadtime after its last heartbeat (the ARP
// probe runs inside the deadtime, heartbeatd/README.md), then the VIPs and the
// first GARP burst at once.
constexpr milliseconds takeover_budget = deadtime + probe_lag + slack;

// The role word of `lbctl ha status` on node i ("ACTIVE", "PASSIVE", "INIT",
// "FAULT"); empty when heartbeatd does not answer.
std::string role_of(const product_lab& p, int i) {
  const auto r = p.lbctl(i, {"ha", "status"});
  const auto at = r.out.find("role:");
  if (!r.ok() || at == std::string::npos) return "";
  const auto word = r.out.find_first_not_of(' ', at + 5);
  const auto end = r.out.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ", word);
  return word == std::string::npos ? "" : r.out.substr(word, end - word);
}

std::string ha_status(const product_lab& p, int i) { return p.lbctl(i, {"ha", "status"}).out; }

// A clean shutdown of node i's lbha services: SIGTERM to each daemon in the
// reverse of the start order, as systemd stops the units.
void stop_all(product_lab& p, int i) {
  for (auto it = product_lab::daemons.rbegin(); it != product_lab::daemons.rend(); ++it) {
    p.stop_daemon(i, *it);
  }
}

// Both probes of client1 have answers, so a client-visible outage can be measured.
bool clients_served(scenario& s, int at_least = 10) {
  return wait_until(
      [&] { return s.sticky().successes() >= at_least && s.plain().successes() >= at_least; },
      10s);
}

// Every probe has had an answer since `since`; then forgets the samples, so
// the budget applies from here on (for scenarios in which no node served).
bool reset_probes_once_served(scenario& s) {
  std::vector<int> before;
  for (const auto& probe : s.probes()) before.push_back(probe->successes());
  const bool served = wait_until(
      [&] {
        for (std::size_t k = 0; k < before.size(); ++k) {
          if (s.probes()[k]->successes() <= before[k]) return false;
        }
        return true;
      },
      10s);
  for (const auto& probe : s.probes()) probe->reset();
  return served;
}

// Both nodes booted at the same moment: the containers, then what each boot
// does before the daemons (product_lab::boot: the tmpfiles.d run dir, sshd),
// then the daemons interleaved, so both heartbeatds start within a few tens
// of milliseconds of each other (well inside one initdead).
void boot_together(product_lab& p) {
  for (int i : {1, 2}) p.lab().boot(p.lb(i).name);
  for (int i : {1, 2}) {
    const auto& name = p.lb(i).name;
    p.lab().exec_checked(name,
                         {"install", "-d", "-o", "root", "-g", "lbha", "-m", "2751", "/run/lbha"});
    p.lab().exec_checked(name, {"install", "-d", "-m", "0755", "/run/sshd"});
    p.lab().start(name, "sshd", {"/usr/sbin/sshd", "-D", "-e"});
  }
  for (const char* daemon : product_lab::daemons) {
    for (int i : {1, 2}) p.start_daemon(i, daemon);
  }
}

// The other node.
int other(int i) { return 3 - i; }

class lifecycle : public product_test {};

// Item 1. A node stop is a clean shutdown of its services (stop_all: SIGTERM,
// reverse start order), then a start of all of them, as a reboot does.
// The active node: heartbeatd's clean stop removes the VIPs, the passive takes
// over after deadtime; the restarted node comes back passive and stays so
// (auto_failback is off: heartbeatd/README.md rule 4), and the sticky client
// stays on its real server (syncd replicated the table both ways).
// The passive node: nothing moves, no client sees anything.
TEST_F(lifecycle, restarting_either_node_moves_the_vips_at_most_once_and_never_back) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  {
    scenario s(p, "restart_of_the_active_node", {.outage_budget = takeover_budget});
    ASSERT_TRUE(clients_served(s));
    stop_all(p, 1);
    EXPECT_TRUE(wait_until([&] { return p.owner_of(product_lab::iis_vip) == 2; }, 5s));
    ASSERT_EQ(p.wait_for_single_owner(5s), 2);
    p.start_daemons(1);
    ASSERT_TRUE(wait_until([&] { return role_of(p, 1) == "PASSIVE"; }, initdead + 2s))
        << ha_status(p, 1);
    // It stays passive: past the yield window (2 x deadtime) and the
    // auto-failback request it would send in its first interval.
    std::this_thread::sleep_for(2 * deadtime + interval);
    EXPECT_EQ(role_of(p, 1), "PASSIVE") << ha_status(p, 1);
    EXPECT_EQ(role_of(p, 2), "ACTIVE") << ha_status(p, 2);
    EXPECT_EQ(p.wait_for_single_owner(1s), 2);
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  }
  {
    scenario s(p, "restart_of_the_passive_node", {.outage_budget = 0ms});
    ASSERT_TRUE(clients_served(s));
    stop_all(p, 1);
    p.start_daemons(1);
    ASSERT_TRUE(wait_until([&] { return role_of(p, 1) == "PASSIVE"; }, initdead + 2s))
        << ha_status(p, 1);
    std::this_thread::sleep_for(2 * deadtime + interval);
    EXPECT_EQ(p.wait_for_single_owner(1s), 2);
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
    EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  }
}

// Item 2. Both nodes lose power and boot at the same moment: both start in
// init, hear each other within an interval and agree on one owner (rule
// order: ping node, not yielding, make-active, proxyd ready, term, priority,
// node id): exactly one owner from then on, never two, also past initdead.
TEST_F(lifecycle, both_nodes_booted_at_once_elect_exactly_one_owner) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  p.power_off(1);
  p.power_off(2);
  // No node serves until the pair is up again: the clients' budget applies
  // once every probe was answered (reset_probes_once_served); the VIP watch
  // covers the whole boot.
  scenario s(p, "both_nodes_start_at_once", {.outage_budget = 0ms});
  const auto booted = steady_clock::now();
  boot_together(p);
  const int owner = p.wait_for_single_owner(initdead + 2s);
  ASSERT_NE(owner, 0) << s.watch().timeline();
  ASSERT_TRUE(reset_probes_once_served(s));
  // Past the startup grace of both, with a deadtime to spare: still one owner.
  std::this_thread::sleep_for(initdead + deadtime - (steady_clock::now() - booted));
  EXPECT_EQ(p.wait_for_single_owner(0ms), owner);
  EXPECT_EQ(role_of(p, owner), "ACTIVE") << ha_status(p, owner);
  // A restarted heartbeatd counts its ping node unreachable until two answers
  // in a row (rise 2, every 200 ms): it rests in FAULT for that long, then PASSIVE.
  EXPECT_TRUE(wait_until([&] { return role_of(p, other(owner)) == "PASSIVE"; }, 2s))
      << ha_status(p, other(owner));
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
}

// Item 3. lb1 starts alone (lb2 is powered off) and is killed by a power cut
// while it is in its startup grace: it held nothing (a node in init adds no
// VIP). lb2 then boots alone, waits its own initdead and serves; lb1 comes
// back as passive. Never two owners.
TEST_F(lifecycle, a_node_killed_in_its_startup_grace_held_nothing_and_the_pair_recovers) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  p.power_off(2);  // passive: holds no VIP
  stop_all(p, 1);  // a clean stop removes the VIPs: nobody serves now
  ASSERT_EQ(p.owner_of(product_lab::iis_vip), 0);
  scenario s(p, "node_killed_during_initdead", {.outage_budget = 0ms});

  p.start_daemons(1);
  EXPECT_EQ(role_of(p, 1), "INIT") << ha_status(p, 1);
  std::this_thread::sleep_for(initdead / 2);  // halfway through its grace
  EXPECT_EQ(role_of(p, 1), "INIT") << ha_status(p, 1);
  EXPECT_EQ(p.owner_of(product_lab::iis_vip), 0);
  p.power_off(1);

  p.boot(2);
  const auto lb2_up = steady_clock::now();
  EXPECT_EQ(role_of(p, 2), "INIT") << ha_status(p, 2);
  ASSERT_EQ(p.wait_for_single_owner(initdead + 2s), 2) << s.watch().timeline();
  // It waited its grace: its heartbeatd started before boot() returned, so
  // at least initdead minus the replicatord start went by.
  EXPECT_GE(steady_clock::now() - lb2_up, initdead - 1s);
  p.boot(1);
  ASSERT_TRUE(wait_until([&] { return role_of(p, 1) == "PASSIVE"; }, initdead + 2s))
      << ha_status(p, 1);
  ASSERT_TRUE(reset_probes_once_served(s));
  EXPECT_EQ(p.wait_for_single_owner(1s), 2);
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  // lb1 never held a VIP after its first start in this scenario.
  EXPECT_EQ(s.watch().timeline().find("lb1 add"), std::string::npos) << s.watch().timeline();
}

// Item 5. The policy (heartbeatd/README.md "Roles and rules", readiness.hpp):
// heartbeatd does not restart proxyd (systemd does); it polls proxyd's
// Proxy.Ready every 500 ms (300 ms deadline) and an active node whose proxyd
// is not ready hands over to a live passive peer whose proxyd is ready
// (yield, so the peer takes over on the next heartbeat, without waiting for
// deadtime). So a kill -9 of the active proxyd is a handover, not a local
// restart; the restarted proxyd does not take the VIPs back.
// Budget: one readiness poll (500 ms) + a Ready call in flight (300 ms) + the
// probe lag + slack.
TEST_F(lifecycle, killing_proxyd_on_the_active_node_hands_over_to_the_passive_node) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "kill9_proxyd_on_the_active_node",
             {.outage_budget = 500ms + 300ms + probe_lag + slack});
  ASSERT_TRUE(clients_served(s));
  p.kill_daemon(1, "proxyd");
  ASSERT_TRUE(wait_until([&] { return p.owner_of(product_lab::iis_vip) == 2; }, 3s))
      << s.watch().timeline();
  EXPECT_EQ(p.wait_for_single_owner(1s), 2);
  // The operator sees why in lbctl ha status on lb1.
  const auto why = ha_status(p, 1);
  EXPECT_NE(why.find("proxy ready:     no, peer yes"), std::string::npos) << why;
  EXPECT_EQ(role_of(p, 1), "PASSIVE") << why;
  // systemd restarts proxyd: lb1 is ready again and stays passive.
  p.start_daemon(1, "proxyd");
  ASSERT_TRUE(wait_until(
      [&] { return ha_status(p, 1).find("proxy ready:     yes") != std::string::npos; }, 3s))
      << ha_status(p, 1);
  std::this_thread::sleep_for(2 * deadtime + interval);
  EXPECT_EQ(p.wait_for_single_owner(0ms), 2);
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
}

// Item 6. kill -9 of heartbeatd, syncd and replicatord in turn, each started
// again at once: first on the passive node (nothing moves, no client sees
// anything), then on the active node (syncd and replicatord: nothing moves;
// heartbeatd: its restart removes the VIPs it left (start: remove_vips) and
// the pair elects one owner again while the peer is still alive, at most one
// handover). The persistence tables must agree again after each syncd restart
// (the audit), and never two owners.
TEST_F(lifecycle, kill9_of_each_controller_daemon_in_turn_leaves_one_owner) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  const auto kill_and_restart = [&](int i, const char* daemon) {
    p.kill_daemon(i, daemon);
    p.start_daemon(i, daemon);
    ASSERT_TRUE(wait_until(
        [&] {
          const auto a = role_of(p, 1), b = role_of(p, 2);
          return p.wait_for_single_owner(0ms) != 0 && (a == "ACTIVE") != (b == "ACTIVE") &&
                 (a == "PASSIVE" || b == "PASSIVE");
        },
        initdead + 2s))
        << daemon << " on lb" << i << "\n"
        << ha_status(p, 1) << ha_status(p, 2);
  };
  {
    scenario s(p, "kill9_controllers_on_the_passive_node", {.outage_budget = 0ms});
    ASSERT_TRUE(clients_served(s));
    for (const char* daemon : {"heartbeatd", "syncd", "replicatord"}) kill_and_restart(2, daemon);
    EXPECT_EQ(p.wait_for_single_owner(0ms), 1);
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
    EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  }
  {
    // heartbeatd's restart on the active node: the outage starts when the new
    // daemon removes the stale VIPs and ends when the peer, which heard it all
    // along, takes over on its first heartbeat (or it takes them back): one
    // interval + the probe lag + slack.
    scenario s(p, "kill9_controllers_on_the_active_node",
               {.outage_budget = interval + probe_lag + slack});
    ASSERT_TRUE(clients_served(s));
    for (const char* daemon : {"syncd", "replicatord"}) kill_and_restart(1, daemon);
    EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
    kill_and_restart(1, "heartbeatd");
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  }
}

// Item 12. syncd and replicatord are controllers, not the data plane
// (DESIGN.md: the role is decoupled from the data plane, proxyd serves
// whichever node holds the VIP): restarting them on the active node moves no
// VIP and no client sees anything. With heartbeatd included, its clean stop
// removes the VIPs (README: "a clean stop hands the VIPs over") and its start
// removes any left: one handover is what the design allows, within the
// takeover budget (the peer takes over on the restarted daemon's first
// heartbeat, or at deadtime when the restart is slower).
TEST_F(lifecycle, restarting_the_controllers_on_the_active_node_moves_no_vip_unless_heartbeatd_restarts) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  {
    scenario s(p, "restart_controllers_on_the_active_node", {.outage_budget = 0ms});
    ASSERT_TRUE(clients_served(s));
    for (const char* daemon : {"replicatord", "syncd"}) p.stop_daemon(1, daemon);
    for (const char* daemon : {"syncd", "replicatord"}) p.start_daemon(1, daemon);
    ASSERT_TRUE(clients_served(s, s.sticky().successes() + 10));
    EXPECT_EQ(p.wait_for_single_owner(0ms), 1);
    EXPECT_EQ(role_of(p, 1), "ACTIVE");
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
    EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  }
  {
    scenario s(p, "restart_controllers_and_heartbeatd_on_the_active_node",
               {.outage_budget = takeover_budget});
    ASSERT_TRUE(clients_served(s));
    for (const char* daemon : {"replicatord", "heartbeatd", "syncd"}) p.stop_daemon(1, daemon);
    for (const char* daemon : {"syncd", "heartbeatd", "replicatord"}) p.start_daemon(1, daemon);
    ASSERT_NE(p.wait_for_single_owner(initdead + 2s), 0) << s.watch().timeline();
    EXPECT_AUDIT(s);
    EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  }
}

// Item 14. A SIGKILL leaves the VIPs on the interface (the kernel keeps
// answering for them, proxyd keeps serving). systemd restarts heartbeatd at
// once: the new daemon removes the stale VIPs at start (init: remove_vips),
// and the pair elects one owner again; the peer never saw it silent for a
// deadtime, so it never took over alongside: never two owners.
TEST_F(lifecycle, sigkill_of_the_active_heartbeatd_then_restart_removes_the_stale_vip) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "sigkill_active_heartbeatd_and_restart",
             {.outage_budget = interval + probe_lag + slack});
  ASSERT_TRUE(clients_served(s));
  p.kill_daemon(1, "heartbeatd");
  // The stale VIP: still on lb1's interface.
  EXPECT_EQ(p.owner_of(product_lab::iis_vip), 1);
  p.start_daemon(1, "heartbeatd");
  // Removed at start: the watch saw lb1 drop it.
  EXPECT_TRUE(wait_until(
      [&] { return s.watch().timeline().find("lb1 del " + std::string(product_lab::iis_vip)) !=
                   std::string::npos; },
      2s))
      << s.watch().timeline();
  const int owner = p.wait_for_single_owner(initdead + 2s);
  ASSERT_NE(owner, 0) << s.watch().timeline();
  EXPECT_EQ(role_of(p, owner), "ACTIVE") << ha_status(p, owner);
  // A restarted heartbeatd counts its ping node unreachable until two answers
  // in a row (rise 2, every 200 ms): it rests in FAULT for that long, then PASSIVE.
  EXPECT_TRUE(wait_until([&] { return role_of(p, other(owner)) == "PASSIVE"; }, 2s))
      << ha_status(p, other(owner));
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
}

}  // namespace
}  // namespace lbha::lab
