// Hysteresis for the ping node check: `fall` consecutive failed rounds mark
// the ping nodes unreachable, `rise` consecutive good rounds mark them
// reachable again, so one lost echo or a flapping gateway does not move the
// VIPs. A round is good when any ping node answered (like Heartbeat's
// ping_group). Pure; the pinger feeds it one result per round.
#pragma once

#include <optional>

namespace lbha::heartbeat {

class ping_tracker {
 public:
  ping_tracker(int rise = 2, int fall = 3) : rise_(rise), fall_(fall) {}

  // Records one round; returns the new state when it changed.
  std::optional<bool> record(bool any_answered) {
    if (any_answered) {
      fails_ = 0;
      if (!reachable_ && ++oks_ >= rise_) return set(true);
    } else {
      oks_ = 0;
      if (reachable_ && ++fails_ >= fall_) return set(false);
      if (!known_ && ++fails_ >= fall_) return set(false);
    }
    return std::nullopt;
  }

  bool reachable() const { return reachable_; }

 private:
  std::optional<bool> set(bool v) {
    reachable_ = v;
    known_ = true;
    oks_ = fails_ = 0;
    return v;
  }

  int rise_;
  int fall_;
  int oks_ = 0;
  int fails_ = 0;
  bool reachable_ = false;
  bool known_ = false;
};

}  // namespace lbha::heartbeat
