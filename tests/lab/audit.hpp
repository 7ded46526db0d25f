// The audit every product-lab scenario runs after it acts: is the pair whole?
//
//   audit_report r = audit({.scenario = "make_active_with_sticky_clients", .topology = &l,
//                           .lb_nodes = {"lb1", "lb2"}, .vips = {"192.0.2.100"},
//                           .clients = {"client1"}, .lbctl = lbctl_in_node,
//                           .daemons = daemons, .probes = {{&sticky, 1500ms}}, .watch = &watch});
//   EXPECT_TRUE(r.ok()) << r.describe();
//
// Checks, each failure one line naming what differs:
//   - vip_owner: exactly one LB node holds each VIP (`ip -j addr` in each node);
//   - neighbour: each client's neighbour entry for each VIP (`ip -j neigh`) has
//     the owner's eth0 MAC (so the client must have talked to every VIP: a probe);
//   - generation: every node's proxyd and heartbeatd report one config
//     generation (`lbctl status --json`: proxy.generation, ha.config_generation);
//   - persistence: every node's `lbctl persistence show --json` lists the same
//     (service, client) keys with the same real server (expiry ignored);
//   - daemons: no listed process exited; a crash signal (SIGSEGV, SIGABRT, ...)
//     is named as a crash;
//   - probes: each probe's longest outage within its budget, each sticky probe
//     answered by one real server only.
// The node-state checks (the first four) may converge: they are polled
// together until all pass or `settle` has passed, and the last round's
// failures are reported. With a vip_watch, a failed VIP check also prints its
// timeline.
//
// It prints one line per scenario on stdout, which the README's table is
// built from:
//   LAB-RESULT scenario=<name> dual_owner_ms=<n> no_owner_ms=<n> client_outage_ms=<n>
// (worst over the VIPs of the vip_watch, and over the probes; 0 without them).
//
// `lbctl(node, args)` runs lbctl on a node as the scenario does (in a
// container node, plain `lbctl`; in a netns lab, with --run-dir etc.): the
// audit passes only subcommand words and --json. Unset: the generation and
// persistence checks are skipped (and say so in the report's notes).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/lab/command.hpp"

namespace lbha::lab {

class lab;
class process;
class client_probe;
class vip_watch;

using lbctl_runner =
    std::function<command_result(const std::string& node, const std::vector<std::string>& args)>;

struct audited_probe {
  const client_probe* probe = nullptr;
  std::chrono::milliseconds budget{0};  // the longest outage the scenario allows
};

struct audit_input {
  std::string scenario{};         // the LAB-RESULT name, e.g. "make_active_with_sticky_clients"
  const lab* topology = nullptr;  // the lab the nodes are in
  std::vector<std::string> lb_nodes{};  // {"lb1", "lb2"}
  std::vector<std::string> vips{};      // v4 and v6, as text
  std::vector<std::string> clients{};   // client node names
  lbctl_runner lbctl{};
  std::vector<process*> daemons{};  // processes that must still be running
  std::vector<audited_probe> probes{};
  const vip_watch* watch = nullptr;
  std::chrono::milliseconds settle{3000};
};

struct audit_report {
  std::vector<std::string> failures;  // one line each: "<check>: <what differs>"
  std::vector<std::string> notes;     // checks skipped, and why
  std::string result_line;            // "LAB-RESULT scenario=..."

  bool ok() const { return failures.empty(); }
  std::string describe() const;  // the failures (and notes), one per line
};

// Runs every check, prints result_line on stdout, returns the report.
audit_report audit(const audit_input& input);

// The pure parts, for unit tests and for scenarios that check one thing.

// Addresses in `ip -j addr` output (every interface), as normalized text.
std::vector<std::string> addresses_in_ip_addr(const std::string& json);
// The lladdr ("02:..") of `ip -j neigh` output's entry for `ip`; nullopt
// when there is none (or it has no lladdr: INCOMPLETE / FAILED).
std::optional<std::string> neighbour_mac(const std::string& json, const std::string& ip);
// The "address" of `ip -j link show dev eth0`.
std::optional<std::string> link_mac(const std::string& json);

// What `lbctl status --json` says about generations (nullopt: that daemon did not answer).
struct node_generations {
  std::optional<std::uint64_t> proxy;
  std::optional<std::uint64_t> heartbeat;
};
std::optional<node_generations> generations_in_status(const std::string& json);
// Empty when every node's every daemon reports the same generation; else one
// message: "lb1: proxyd 8, heartbeatd 8; lb2: proxyd 7, heartbeatd 8".
std::string compare_generations(const std::map<std::string, node_generations>& by_node);

// (service, client) -> real server, from `lbctl persistence show --json`.
using persistence_table = std::map<std::pair<std::string, std::string>, std::string>;
std::optional<persistence_table> parse_persistence(const std::string& json);
// One line per key that differs: "IIS_VIP 192.0.2.31: lb1 IIS1, lb2 IIS2",
// "IIS_VIP 192.0.2.32: lb1 IIS1, lb2 missing". Empty when they agree.
std::vector<std::string> compare_persistence(
    const std::map<std::string, persistence_table>& tables);

// "exit 1", "signal 11 (SIGSEGV: crashed)", "signal 9 (SIGKILL)".
std::string describe_exit(const exit_status& status);

}  // namespace lbha::lab
