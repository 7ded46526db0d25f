// Notify hooks: `SCRIPT <state> <vip>...` on each transition, as keepalived's
// notify_master/backup/fault. The script runs in its own process (posix_spawn)
// and is never waited for: reap() collects finished children without blocking,
// so a slow or hanging script cannot delay a failover. Exit codes are logged.
//
// Hooks run one at a time, in the order of the transitions: a transition while
// a hook still runs queues its hook, and reap() starts it once the previous one
// has exited. Two hooks started together could finish in either order (a slow
// `passive` hook after a quick `active` one would leave a node that is active
// with its services stopped); queued, the last hook to run is always the
// current role's. A hung hook therefore holds back the hooks after it (never
// the failover itself).
#pragma once

#include <sys/types.h>

#include <deque>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

struct hooks {
  std::string on_active;
  std::string on_passive;
  std::string on_fault;
};

class notifier {
 public:
  explicit notifier(hooks h) : hooks_(std::move(h)) {}
  ~notifier();

  void set_hooks(hooks h) { hooks_ = std::move(h); }
  // Runs (or queues behind the running one) the hook for `r`: the pid of the
  // child started now; 0 when none is configured or the hook was queued; or
  // why it could not start.
  result<pid_t> notify(role r, const std::vector<std::string>& vips);
  // Collects a finished hook and starts the next queued one; call periodically.
  void reap();
  std::size_t running() const { return child_ > 0 ? 1 : 0; }
  std::size_t queued() const { return queue_.size(); }

 private:
  struct pending {
    std::vector<std::string> args;  // script, state, VIPs
  };
  result<pid_t> start_next();

  hooks hooks_;
  std::deque<pending> queue_;
  pid_t child_ = 0;  // the hook running now, 0: none
};

}  // namespace lbha::heartbeat
