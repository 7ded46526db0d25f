// Notify hooks: `SCRIPT <state> <vip>...` on each transition, as keepalived's
// notify_master/backup/fault. The script runs in its own process (posix_spawn)
// and is never waited for: reap() collects finished children without blocking,
// so a slow or hanging script cannot delay a failover. Exit codes are logged.
#pragma once

#include <sys/types.h>

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
  // Starts the hook for `r`: the child's pid, 0 when none is configured, or why it
  // could not start.
  result<pid_t> notify(role r, const std::vector<std::string>& vips);
  // Collects finished hooks; call periodically.
  void reap();
  std::size_t running() const { return children_.size(); }

 private:
  hooks hooks_;
  std::vector<pid_t> children_;
};

}  // namespace lbha::heartbeat
