// notifier: heartbeatd's hooks, both kinds, on common/hook_runner.
//
// Role hooks (node.yaml notify.on_active/on_passive/on_fault): `SCRIPT
// <state> <vip>...` on each transition, as keepalived's
// notify_master/backup/fault, with heartbeatd's environment. They run one at
// a time in the order of the transitions: a transition while a hook still
// runs queues its hook, so the last hook to run is always the current
// role's (two started together could finish in either order, and a slow
// `passive` hook after a quick `active` one would leave an active node with
// its services stopped).
//
// Alert hooks (node.yaml alerts.hooks): peer_lost and peer_back events with
// the LBHA_* environment (common/event_hooks.hpp), on a queue of their own,
// so an alert storm can never push a role hook out of the bounded queue.
//
// Both are killed (their process group) after alerts.timeout, logged and
// counted when they fail (the role hooks had no timeout before the runner;
// one that hangs no longer holds back every role hook after it). Nothing here waits: the hooks
// start in their own process and reap() (called every tick) collects the finished ones, kills the
// overdue ones and starts the next, so no hook can delay a failover.
#pragma once

#include <string>
#include <vector>

#include "common/clock.hpp"
#include "common/event_hooks.hpp"
#include "common/hook_runner.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

struct hooks {
  std::string on_active;
  std::string on_passive;
  std::string on_fault;
};

class notifier {
 public:
  notifier(const lbha::clock& clock, hooks h, alert_settings alerts);
  ~notifier();

  void set_hooks(hooks h) { hooks_ = std::move(h); }
  void set_alerts(alert_settings alerts);
  // Runs (or queues behind the running one) the role hook for `r`; nothing
  // when none is configured. A hook that cannot start is logged and counted.
  void notify(role r, const std::vector<std::string>& vips);
  // Runs (or queues) the alert hooks for `event`.
  void alert(const alert_event& event);
  // Collects finished hooks, kills overdue ones, starts the next; every tick.
  void reap();
  // The daemon stops: kills a running alert hook, leaves a running role
  // hook to finish on its own, and forgets both queues.
  void stop();

  // Role hooks.
  std::size_t running() const { return roles_.idle() ? 0 : 1; }
  std::size_t queued() const { return roles_.queued(); }
  const hook_counters& role_counters() const { return roles_.counters(); }
  const hook_counters& alert_counters() const { return alerts_.counters(); }

 private:
  hooks hooks_;
  alert_settings alert_settings_;
  child_processes processes_;
  hook_runner roles_;
  hook_runner alerts_;
};

}  // namespace lbha::heartbeat
