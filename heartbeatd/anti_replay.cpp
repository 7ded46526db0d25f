#include "heartbeatd/anti_replay.hpp"

namespace lbha::heartbeat {

result<void> anti_replay::check(const message& m, std::uint64_t now_ms) {
  const auto window = static_cast<std::uint64_t>(window_.count());
  const std::uint64_t age =
      now_ms > m.timestamp_ms ? now_ms - m.timestamp_ms : m.timestamp_ms - now_ms;
  if (age > window) return errc::stale;

  auto it = senders_.find(m.node_id);
  if (it != senders_.end() && now_ms > it->second.last_accepted_ms + window) {
    senders_.erase(it);  // silent for longer than the window: nothing left to replay
    it = senders_.end();
  }
  if (it == senders_.end()) {
    senders_[m.node_id] = sender{m.sequence, 1, now_ms};
    return success();
  }
  sender& s = it->second;
  if (m.sequence > s.highest) {
    const std::uint64_t shift = m.sequence - s.highest;
    s.seen = shift >= 64 ? 1 : (s.seen << shift) | 1;
    s.highest = m.sequence;
  } else {
    const std::uint64_t back = s.highest - m.sequence;
    if (back >= 64 || (s.seen & (std::uint64_t{1} << back)) != 0) return errc::replayed;
    s.seen |= std::uint64_t{1} << back;
  }
  s.last_accepted_ms = now_ms;
  return success();
}

}  // namespace lbha::heartbeat
