// The split-brain catalogue (issue 15, item 3), network and clock faults:
// heartbeat-only, full and one-way partitions, the ping node lost, a frozen
// node, random heartbeat loss, a flapping heartbeat path with notify hooks,
// and a wall-clock step on one node. Each scenario ends with every audit.
//
// Timings are the product's defaults (cluster.yaml ha): interval 100 ms,
// deadtime 1000 ms, ARP probe 2 x 30 ms, GARP burst at once; the pinger asks
// its ping node every 200 ms and needs 3 failed rounds (heartbeatd/pinger.hpp).
// Client probes try every VIP every 20 ms with a 200 ms timeout.
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "lbha/v1/ha.pb.h"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/wait.hpp"
#include "tests/product/product_fixture.hpp"
#include "tests/product/scenario.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

constexpr auto deadtime = 1000ms;
const fault_scope heartbeat_only{.port = port_match{transport::udp, 6694}};

// heartbeatd's GetStatus on node i, through `lbctl --json ha status`.
v1::HaStatus ha_status(const product_lab& p, int i) {
  auto r = p.lbctl(i, {"--json", "ha", "status"});
  v1::HaStatus status;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!r.ok() || !google::protobuf::util::JsonStringToMessage(r.out, &status, options).ok()) {
    ADD_FAILURE() << "lbctl --json ha status on lb" << i << ": " << r.out << r.err;
  }
  return status;
}

std::string lbctl_out(const product_lab& p, int i, std::vector<std::string> args) {
  auto r = p.lbctl(i, args);
  EXPECT_TRUE(r.ok()) << r.out << r.err;
  return r.out;
}

std::uint64_t dropped(const v1::HaStatus& s, const std::string& reason) {
  const auto it = s.dropped().find(reason);
  return it == s.dropped().end() ? 0 : it->second;
}

// Node i holds every VIP and the other none.
bool sole_owner(const product_lab& p, int i) {
  for (const auto& v : p.vips()) {
    if (p.owner_of(v) != i) return false;
  }
  return true;
}

// Every probe has been answered (the clients' neighbour entries exist), so
// outages are measured from a working start.
void warm_up(scenario& s) {
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& probe : s.probes()) {
          if (probe->successes() < 5) return false;
        }
        return true;
      },
      10s))
      << "the clients never got through";
}

// The role, term and takeover count of both nodes, which the no-role-change
// scenarios compare before and after.
struct roles {
  v1::Role role1, role2;
  std::uint64_t term1, term2, takeovers1, takeovers2;
  bool operator==(const roles&) const = default;
};
roles roles_of(const product_lab& p) {
  const auto a = ha_status(p, 1);
  const auto b = ha_status(p, 2);
  return {a.role(), b.role(), a.term(), b.term(), a.takeovers(), b.takeovers()};
}
std::ostream& operator<<(std::ostream& out, const roles& r) {
  return out << "lb1 " << v1::Role_Name(r.role1) << " term " << r.term1 << " takeovers "
             << r.takeovers1 << "; lb2 " << v1::Role_Name(r.role2) << " term " << r.term2
             << " takeovers " << r.takeovers2;
}

bool both_hear_each_other(const product_lab& p) {
  return ha_status(p, 1).peer_alive() && ha_status(p, 2).peer_alive();
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class partition : public product_test {};

// Item 7. UDP 6694 cut both ways, everything else (ARP, clients, the ping
// node) intact: lb2 finds lb1 silent, but its ARP probe is answered by lb1's
// live heartbeatd defending the VIPs, so it stays passive; lb1 keeps them.
TEST_F(partition, heartbeat_only_partition_takes_nothing_over_and_says_why) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  // No VIP moves, so no client may see any outage.
  scenario s(p, "heartbeat_only_partition", {.outage_budget = 0ms});
  warm_up(s);
  const auto before = roles_of(p);

  const int cut = p.lab().partition("lb1", "lb2", heartbeat_only);
  ASSERT_TRUE(wait_until(
      [&] {
        const auto h = ha_status(p, 2);
        return !h.peer_alive() && h.peer_holds_vips_on_lan();
      },
      5s))
      << lbctl_out(p, 2, {"ha", "status"});
  // The partition lasts 3 deadtimes: lb2 probes again every deadtime, each defended.
  std::this_thread::sleep_for(3 * deadtime);
  EXPECT_TRUE(sole_owner(p, 1));
  EXPECT_EQ(roles_of(p), before);
  EXPECT_FALSE(ha_status(p, 1).peer_alive());

  // The operator sees on each node that the peer is lost and why it stays as it is.
  const auto ha2 = lbctl_out(p, 2, {"ha", "status"});
  EXPECT_NE(ha2.find("peer:            DEAD"), std::string::npos) << ha2;
  EXPECT_NE(ha2.find("heartbeat path is broken"), std::string::npos) << ha2;
  EXPECT_NE(ha2.find("so this node stays passive"), std::string::npos) << ha2;
  const auto status2 = lbctl_out(p, 2, {"status"});
  EXPECT_NE(status2.find("peer: DEAD"), std::string::npos) << status2;
  EXPECT_NE(status2.find("why: the peer is silent on every heartbeat path but still answers"),
            std::string::npos)
      << status2;
  const auto ha1 = lbctl_out(p, 1, {"ha", "status"});
  EXPECT_NE(ha1.find("peer:            DEAD"), std::string::npos) << ha1;
  EXPECT_NE(ha1.find("so this node keeps the VIPs"), std::string::npos) << ha1;
  const auto status1 = lbctl_out(p, 1, {"status"});
  EXPECT_NE(status1.find("why: the peer is silent on every heartbeat path, so this node keeps"),
            std::string::npos)
      << status1;

  p.lab().heal(cut);
  ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
  EXPECT_EQ(lbctl_out(p, 2, {"status"}).find("why:"), std::string::npos) << "whole again";
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

// Item 8. lb1 (active) is cut from lb2 and from the ping node at once; both
// still reach the clients. lb1 loses its ping node while lb2 (as last heard)
// reaches it, so lb1 is the isolated one and releases (rule 1); lb2 takes over
// when lb1 has been silent for deadtime, its ARP probe unanswered. After the
// heal lb1 stays passive and the clients' neighbour entries point at lb2.
TEST_F(partition, full_partition_the_node_that_reaches_the_ping_node_owns_the_vips) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  // lb1 releases after 3 failed ping rounds (600-800 ms), lb2 takes over at
  // deadtime (1000 ms) after lb1's last heartbeat: the clients wait at most
  // deadtime + the ARP probe (30 ms) + one probe timeout (200 ms) + its period (20 ms).
  scenario s(p, "full_partition_ping_node_decides", {.outage_budget = 1250ms});
  warm_up(s);

  p.lab().partition("lb1", "lb2");
  p.lab().partition("lb1", "client3");
  ASSERT_TRUE(wait_until([&] { return sole_owner(p, 2); }, 5s)) << s.watch().timeline();
  // The partition lasts: lb1 stays without the VIPs, lb2 keeps them alone.
  std::this_thread::sleep_for(3 * deadtime);
  EXPECT_TRUE(sole_owner(p, 2)) << s.watch().timeline();
  const auto h1 = ha_status(p, 1);
  EXPECT_EQ(h1.role(), v1::ROLE_FAULT);
  EXPECT_FALSE(h1.ping_ok());
  const auto h2 = ha_status(p, 2);
  EXPECT_EQ(h2.role(), v1::ROLE_ACTIVE);
  EXPECT_FALSE(h2.peer_alive());
  EXPECT_TRUE(h2.ping_ok());

  p.lab().heal();
  ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
  ASSERT_TRUE(wait_until([&] { return ha_status(p, 1).role() == v1::ROLE_PASSIVE; }, 5s));
  EXPECT_TRUE(sole_owner(p, 2)) << "no failback by default";
  // Never both at once: lb1 released before lb2 took over.
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);  // the clients' neighbour entries: lb2's MAC
}

// Item 9. Heartbeats lost in one direction only, first lb1 -> lb2, then
// lb2 -> lb1. The deaf side declares its peer dead; as passive (lb2) its probe
// is defended, as active (lb1) it keeps the VIPs. The other side still hears
// its peer. No role changes either way.
TEST_F(partition, one_way_heartbeat_loss_in_either_direction_changes_no_role) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "one_way_heartbeat_loss", {.outage_budget = 0ms});  // no VIP moves
  warm_up(s);
  const auto before = roles_of(p);

  for (const auto& [from, to] : {std::pair{1, 2}, std::pair{2, 1}}) {
    SCOPED_TRACE("lb" + std::to_string(from) + " -> lb" + std::to_string(to) + " lost");
    fault_scope one_way = heartbeat_only;
    one_way.one_way = true;
    const int cut = p.lab().partition(p.lb(from).name, p.lb(to).name, one_way);
    ASSERT_TRUE(wait_until([&] { return !ha_status(p, to).peer_alive(); }, 5s));
    if (to == 2) {
      ASSERT_TRUE(wait_until([&] { return ha_status(p, 2).peer_holds_vips_on_lan(); }, 5s));
    }
    std::this_thread::sleep_for(3 * deadtime);  // the loss lasts 3 deadtimes
    EXPECT_TRUE(ha_status(p, from).peer_alive()) << "it still hears its peer";
    EXPECT_TRUE(sole_owner(p, 1));
    EXPECT_EQ(roles_of(p), before);
    p.lab().heal(cut);
    ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
  }
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

// Item 10. The active node can no longer reach its ping node, the passive one
// can: lb1 is the isolated one, releases (role fault) and says so in a
// heartbeat sent at once; lb2 takes over on that heartbeat, without waiting
// for deadtime or probing.
TEST_F(partition, the_active_node_that_loses_its_ping_node_hands_over) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  // Between lb1's release and lb2's GARP: one heartbeat's flight. A client
  // attempt in flight when the VIP leaves lb1 times out (200 ms), the next
  // comes 20 ms later; 100 ms (one interval) of slack for a loaded machine.
  scenario s(p, "active_node_loses_its_ping_node", {.outage_budget = 350ms});
  warm_up(s);

  const int cut = p.lab().partition("lb1", "client3");
  ASSERT_TRUE(wait_until([&] { return sole_owner(p, 2); }, 5s)) << s.watch().timeline();
  const auto h1 = ha_status(p, 1);
  EXPECT_EQ(h1.role(), v1::ROLE_FAULT);
  EXPECT_FALSE(h1.ping_ok());
  EXPECT_TRUE(h1.peer_alive());
  const auto status1 = lbctl_out(p, 1, {"status"});
  EXPECT_NE(status1.find("why: our ping node(s) do not answer"), std::string::npos) << status1;
  EXPECT_NE(lbctl_out(p, 1, {"ha", "status"}).find("ping:            FAILING, peer ok"),
            std::string::npos);
  EXPECT_EQ(ha_status(p, 2).role(), v1::ROLE_ACTIVE);

  p.lab().heal(cut);
  ASSERT_TRUE(wait_until([&] { return ha_status(p, 1).role() == v1::ROLE_PASSIVE; }, 5s));
  EXPECT_TRUE(sole_owner(p, 2)) << "no failback by default";
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

// Item 11. Every lbha daemon of the active node stopped (SIGSTOP) for
// 3 x deadtime: its VIP addresses stay on its interface (the kernel is not
// frozen), lb2 takes over at deadtime (its probe is not defended) and
// announces. When lb1 resumes it hears lb2 active with the higher term and
// releases at once (rule 3): the dual ownership ends within one deadtime of
// the resume, and the clients stay on lb2.
TEST_F(partition, a_frozen_active_node_resumed_after_three_deadtimes_leaves_one_owner) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  // The clients wait for lb2's takeover at deadtime + the early probe's 30 ms,
  // plus one probe timeout (200 ms) and its period (20 ms).
  scenario s(p, "active_node_frozen_and_resumed", {.outage_budget = 1250ms});
  warm_up(s);

  const auto frozen_at = std::chrono::steady_clock::now();
  for (const char* name : product_lab::daemons) p.daemon(1, name)->pause();
  ASSERT_TRUE(wait_until([&] { return ha_status(p, 2).role() == v1::ROLE_ACTIVE; }, 5s));
  std::this_thread::sleep_until(frozen_at + 3 * deadtime);
  const auto resumed_at = std::chrono::steady_clock::now();
  for (const char* name : product_lab::daemons) p.daemon(1, name)->resume();

  ASSERT_TRUE(wait_until([&] { return sole_owner(p, 2); }, deadtime))
      << "lb1 still holds the VIPs a deadtime after it resumed\n"
      << s.watch().timeline();
  const auto single_after = std::chrono::steady_clock::now() - resumed_at;
  std::cout << "dual ownership ended "
            << std::chrono::duration_cast<std::chrono::milliseconds>(single_after).count()
            << " ms after the resume\n";
  ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
  EXPECT_EQ(ha_status(p, 1).role(), v1::ROLE_PASSIVE);
  EXPECT_TRUE(sole_owner(p, 2));
  EXPECT_AUDIT(s);
}

// Item 18. 10 % of the heartbeats dropped at random, both ways, for 60 s.
// Losing deadtime / interval = 10 in a row has a chance of 1e-10 per
// heartbeat: no role may change, no VIP move.
TEST_F(partition, ten_percent_heartbeat_loss_for_a_minute_changes_no_role) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "heartbeat_loss_10_percent_60s", {.outage_budget = 0ms});
  warm_up(s);
  const auto before = roles_of(p);
  const auto sent1 = ha_status(p, 1).sent();
  const auto received2 = ha_status(p, 2).received();

  const int loss = p.lab().loss("lb1", "lb2", 10, heartbeat_only);
  std::this_thread::sleep_for(60s);  // the scenario: 60 s of loss
  const double delivered = static_cast<double>(ha_status(p, 2).received() - received2) /
                           static_cast<double>(ha_status(p, 1).sent() - sent1);
  p.lab().heal(loss);

  EXPECT_EQ(roles_of(p), before);
  EXPECT_TRUE(sole_owner(p, 1));
  // The loss was real: about 90 % of lb1's heartbeats reached lb2.
  std::cout << "lb1 -> lb2 heartbeats delivered: " << delivered * 100 << " %\n";
  EXPECT_GT(delivered, 0.85);
  EXPECT_LT(delivered, 0.95);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

// Item 20. The heartbeat path cut for 300 ms and healed for 300 ms, 10 times.
// Each cut is shorter than deadtime, so nothing may happen: one owner, and no
// notify hook runs. Both nodes have on_active/on_passive/on_fault hooks that
// log their state; the passive one is slower (it "stops services"), so hooks
// started together would log out of order: the last line logged must be the
// node's role.
TEST_F(partition, a_flapping_heartbeat_path_leaves_one_owner_and_no_hook_storm) {
  const std::string hook = "/etc/lbha/notify-hook";
  const std::string hook_log = "/run/lbha-lab-hooks.log";
  auto& p = make_product({.configure = false, .edit_node = [&](int, lbha::v1::NodeConfig& c) {
                            c.mutable_notify()->set_on_active(hook);
                            c.mutable_notify()->set_on_passive(hook);
                            c.mutable_notify()->set_on_fault(hook);
                          }});
  for (int i = 1; i <= 2; ++i) {
    const auto path = p.lb(i).etc_dir() / "notify-hook";
    std::ofstream(path) << "#!/bin/sh\n[ \"$1\" = passive ] && sleep 0.2\necho \"$@\" >> "
                        << hook_log << "\n";
    std::filesystem::permissions(path, std::filesystem::perms(0755));
  }
  p.up();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  const auto log_of = [&](int i) { return read_text(p.lb(i).root_dir() / hook_log.substr(1)); };
  const auto last_state = [&](int i) {
    std::istringstream lines(log_of(i));
    std::string line, state;
    while (std::getline(lines, line)) state = line.substr(0, line.find(' '));
    return state;
  };
  // Hooks in order: each node's last hook is its role's.
  ASSERT_TRUE(
      wait_until([&] { return last_state(1) == "active" && last_state(2) == "passive"; }, 5s))
      << "lb1 hooks:\n"
      << log_of(1) << "lb2 hooks:\n"
      << log_of(2);
  const auto hooks1 = log_of(1);
  const auto hooks2 = log_of(2);

  scenario s(p, "flapping_heartbeat_path", {.outage_budget = 0ms});  // no VIP moves
  warm_up(s);
  const auto before = roles_of(p);
  for (int flap = 0; flap < 10; ++flap) {
    const int cut = p.lab().partition("lb1", "lb2", heartbeat_only);
    std::this_thread::sleep_for(300ms);
    p.lab().heal(cut);
    std::this_thread::sleep_for(300ms);
  }
  ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
  EXPECT_EQ(roles_of(p), before);
  EXPECT_TRUE(sole_owner(p, 1));
  // No hook ran: the logs are as before the flapping (wait out a hook that
  // a transition would have started: the slow passive one takes 200 ms).
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(log_of(1), hooks1);
  EXPECT_EQ(log_of(2), hooks2);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

// Item 21. lb1's wall clock stepped +1 h, back, -1 h, back (as NTP would
// correct it). heartbeatd uses the wall clock in one place: the timestamp in
// each heartbeat, which the receiver drops as `stale` when it is more than
// 30 s from its own wall clock (heartbeatd/README.md, "Wire format";
// anti_replay.hpp). Intervals, deadtime and the sequence numbers after
// start-up never read it. So, as documented: while the clocks are apart each
// node drops the other's heartbeats as stale and sees its peer dead; the
// passive lb2's ARP probe is answered by lb1 defending the VIPs, so it stays
// passive ("heartbeat path broken"), and lb1 keeps them: no takeover, no dual
// owner. Once the clock is right again the next heartbeat is accepted.
//
// The step is lb1's alone: every process in lb1 (the node's own
// /etc/ld.so.preload) runs with wall_clock_shim.cpp, which adds the offset in
// lb1's /run/lbha-lab-clock-offset to CLOCK_REALTIME. `date -s` would step
// the host's one clock, and with it lb2's and other tests'.
TEST_F(partition, a_wall_clock_step_on_one_node_moves_no_vip_and_heartbeats_recover) {
  auto& p = make_product({.configure = false});
  const auto& lb1 = p.lb(1);
  const auto offset_file = lb1.root_dir() / "run/lbha-lab-clock-offset";
  const auto set_offset = [&](std::chrono::milliseconds offset) {
    const std::int64_t ms = offset.count();
    const int fd = ::open(offset_file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0) << offset_file;
    EXPECT_EQ(::pwrite(fd, &ms, sizeof ms, 0), static_cast<ssize_t>(sizeof ms));
    ::close(fd);
  };
  set_offset(0ms);
  {
    // Under AddressSanitizer its runtime must come first in the preload list.
    std::string preload;
    std::istringstream maps(read_text("/proc/self/maps"));
    for (std::string line; std::getline(maps, line);) {
      const auto at = line.find('/');
      if (at != std::string::npos && line.find("/libasan.so") != std::string::npos) {
        preload = line.substr(at) + "\n";
        break;
      }
    }
    std::ofstream(lb1.root_dir() / "etc/ld.so.preload")
        << preload << test_support::in_build_tree(LBHA_WALL_CLOCK_SHIM_PATH).string() << "\n";
  }
  p.up();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  const auto date = [&](int i) { return p.lab().exec_checked(p.lb(i).name, {"date", "+%s"}).out; };
  ASSERT_LT(std::abs(std::stoll(date(1)) - std::stoll(date(2))), 5) << "no offset yet";

  scenario s(p, "wall_clock_step_one_node", {.outage_budget = 0ms});  // no VIP moves
  warm_up(s);
  const auto before = roles_of(p);

  for (const auto step : {1h, -1h}) {
    SCOPED_TRACE("lb1's clock stepped " + std::to_string(step.count()) + " h");
    set_offset(step);
    EXPECT_NEAR(std::stoll(date(1)) - std::stoll(date(2)), std::chrono::seconds(step).count(), 5);
    const auto stale1 = dropped(ha_status(p, 1), "stale");
    const auto stale2 = dropped(ha_status(p, 2), "stale");
    ASSERT_TRUE(wait_until(
        [&] {
          const auto h2 = ha_status(p, 2);
          return !h2.peer_alive() && h2.peer_holds_vips_on_lan() && !ha_status(p, 1).peer_alive();
        },
        5s))
        << lbctl_out(p, 2, {"ha", "status"});
    std::this_thread::sleep_for(3 * deadtime);  // the step lasts 3 deadtimes
    EXPECT_GT(dropped(ha_status(p, 1), "stale"), stale1 + 20);
    EXPECT_GT(dropped(ha_status(p, 2), "stale"), stale2 + 20);
    EXPECT_TRUE(sole_owner(p, 1));
    EXPECT_EQ(roles_of(p), before);

    set_offset(0ms);  // NTP steps it back
    const auto corrected_at = std::chrono::steady_clock::now();
    ASSERT_TRUE(wait_until([&] { return both_hear_each_other(p); }, 5s));
    std::cout << "heartbeats accepted again "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - corrected_at)
                     .count()
              << " ms after the clock was corrected\n";
  }
  EXPECT_EQ(roles_of(p), before);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_AUDIT(s);
}

}  // namespace
}  // namespace lbha::lab
