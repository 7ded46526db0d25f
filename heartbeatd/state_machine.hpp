// The HA role decision: init, passive, active, fault (DESIGN.md, "The HA role").
//
// Pure: it reads time from an injected clock, takes events (authenticated
// heartbeats, ping and proxy health, ARP probe results, conflicts, operator
// requests, ticks) and answers each with the actions the I/O layer must run,
// in order. It never touches a socket, so unit tests drive every transition
// with a manual_clock.
//
// Rules, in order of precedence:
//  1. Isolation: a node whose ping node(s) do not answer is `fault`; an active
//     node in that state hands over when the peer reports its own reachable.
//  2. A passive node takes over when the peer is silent on every path for
//     `deadtime` and its own ping node answers, after an ARP probe of the VIPs
//     finds nobody holding them (probe_vips -> on_probe_result). A VIP that
//     still answers means only the heartbeat path broke: stay passive, probe
//     again a `deadtime` later.
//  2b. While active, another MAC claiming a VIP (on_conflict) releases only when
//     the peer's authenticated heartbeats say it is alive and active, by rule 3.
//     Otherwise the claim is unproven (ARP is unauthenticated; a forged GARP
//     must not empty a lone active node): count it and re-announce, at most
//     once per deadtime.
//  3. Both active: higher term wins, then higher priority, then lower node id.
//     The loser releases; the winner announces again once it sees the loser's
//     release.
//  4. No automatic failback unless auto_failback (then the higher-priority
//     node asks the active one to release, as make-active does).
// When both are alive and neither is active, the preferred node takes over:
// reachable ping node, not yielding, asking to be active, proxy ready, then
// rule 3's order. Every takeover increments the term past the highest seen and
// asks for it to be persisted (the daemon writes it right after the batch).
//
// Single-threaded: the daemon calls it from its io_context only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/clock.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

using std::chrono::milliseconds;

struct settings {
  std::uint32_t node_id = 1;
  std::uint8_t priority = 100;
  milliseconds interval{100};
  milliseconds deadtime{1000};
  milliseconds warntime{500};
  milliseconds initdead{3000};
  bool auto_failback = false;
  bool arp_probe = true;  // probe the VIPs before a takeover on a dead peer
  // Start that probe this long before deadtime expires (the probe's own timeout), so
  // its answer is in when the peer is declared dead and the probe adds nothing to the
  // failover. A heartbeat arriving meanwhile discards the result.
  milliseconds probe_lead{0};
  bool has_ping_nodes = false;
  std::size_t path_count = 1;
};

enum class action_kind {
  persist_term,  // write `term` to the state dir (first in the batch; the daemon
                 // defers the fsync until the VIPs and first announcement are out)
  add_vips,
  remove_vips,
  announce,    // GARP / unsolicited NA burst (the I/O schedules the second burst)
  probe_vips,  // ARP-probe every IPv4 VIP, then call on_probe_result
  notify,      // run the notify hook for `new_role`
  send_now,    // send a heartbeat now instead of at the next interval
  warn_late,   // the peer's heartbeat is later than warntime
};

struct action {
  action_kind kind;
  std::uint64_t term = 0;
  role new_role = role::init;
  bool operator==(const action&) const = default;
};

using actions = std::vector<action>;

struct peer_status {
  bool heard = false;                                    // ever, since start
  bool alive = false;                                    // heard on some path within deadtime
  message last;                                          // the last accepted heartbeat
  std::vector<std::optional<clock::duration>> path_age;  // per path, unset = never heard
  std::vector<bool> path_alive;                          // per path: heard within deadtime
};

class state_machine {
 public:
  state_machine(const clock& clock, settings s, std::uint64_t persisted_term);

  // Enters init; removes VIPs a previous run may have left.
  actions start();
  // Timers: initdead, deadtime, warntime, request timeouts. Call every interval, and
  // at next_deadline().
  actions tick();
  // The next moment a decision falls due on time alone, sooner than the caller's
  // next interval tick may come: initdead in init, the peer's deadtime expiring,
  // the early probe (deadtime - probe_lead), a probe retry, warntime, a winner's
  // re-announcement. Unset when nothing is pending. The daemon arms one timer on
  // it after every event, so a takeover does not wait for the next interval.
  std::optional<clock::time_point> next_deadline() const;
  actions on_heartbeat(std::size_t path, const message& m);
  actions on_ping(bool reachable);
  actions on_proxy_ready(bool ready);
  actions on_probe_result(bool answered);
  actions on_conflict();
  // Coordinated switch-over: the peer releases first. `force` takes over now.
  actions make_active(bool force);
  // Releases to a live peer; refused (false) when no live peer would take over.
  bool make_passive(actions& out);
  // New timings/priority (Reload); keeps role, term and peer state.
  actions reconfigure(settings s);

  role current_role() const { return role_; }
  std::uint64_t term() const { return term_; }
  flags own_flags() const;
  std::uint8_t priority() const { return settings_.priority; }
  std::uint32_t node_id() const { return settings_.node_id; }
  const settings& config() const { return settings_; }
  peer_status peer() const;
  // The peer's authenticated heartbeats are current and say it is active.
  bool peer_active() const { return peer_alive() && peer_.sender_role == role::active; }
  bool ping_ok() const { return ping_ok_; }
  bool proxy_ready() const { return proxy_ready_; }
  bool probing() const { return probing_; }
  bool peer_holds_vips_on_lan() const { return peer_on_lan_; }
  bool want_active() const { return want_active_; }
  std::uint64_t takeovers() const { return takeovers_; }
  // The last takeover's outage: from the last heartbeat heard from the peer
  // (its last sign of life, or its release) to this node taking the VIPs;
  // nullopt before any takeover, or when the peer was never heard.
  std::optional<clock::duration> last_takeover_outage() const { return last_takeover_outage_; }
  std::uint64_t conflicts() const { return conflicts_; }
  // Conflicts not backed by the peer's authenticated heartbeats: VIPs kept.
  std::uint64_t unproven_conflicts() const { return unproven_conflicts_; }

 private:
  bool isolated() const { return settings_.has_ping_nodes && !ping_ok_; }
  bool peer_alive() const;
  std::optional<clock::time_point> last_heard() const;
  bool we_win_dual_active() const;
  bool we_are_preferred() const;
  bool peer_healthier() const;
  // A health bit (ping node, local proxy) changed: tell the peer at once, then re-decide.
  actions on_health_bit(bool& bit, bool value);
  void evaluate(actions& out);
  bool decide(actions& out);  // true when the role changed
  void take_over(actions& out);
  void release(actions& out, role to);
  void set_role(actions& out, role to);

  const clock& clock_;
  settings settings_;
  role role_ = role::init;
  std::uint64_t term_;
  clock::time_point started_{};

  message peer_{};
  bool peer_heard_ = false;
  std::vector<std::optional<clock::time_point>> path_heard_;
  std::uint64_t peer_term_ = 0;
  bool warned_late_ = false;

  bool ping_ok_;
  bool proxy_ready_ = false;

  bool probing_ = false;
  bool probe_clear_ = false;
  bool peer_on_lan_ = false;
  clock::time_point next_probe_{};

  bool want_active_ = false;
  bool force_ = false;
  clock::time_point want_active_since_{};
  bool yield_ = false;
  clock::time_point yield_since_{};
  bool reannounce_ = false;
  clock::time_point reannounce_since_{};

  std::uint64_t takeovers_ = 0;
  std::optional<clock::duration> last_takeover_outage_;
  std::uint64_t conflicts_ = 0;
  std::uint64_t unproven_conflicts_ = 0;
  bool reclaimed_ = false;  // re-announced for an unproven conflict at reclaimed_at_
  clock::time_point reclaimed_at_{};
};

}  // namespace lbha::heartbeat
