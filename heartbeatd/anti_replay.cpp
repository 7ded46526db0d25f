#include "heartbeatd/anti_replay.hpp"

#include <algorithm>

namespace lbha::heartbeat {

result<void> anti_replay::check(const message& m, std::uint64_t now_ms) {
  const auto window = static_cast<std::uint64_t>(window_.count());
  const std::uint64_t age =
      now_ms > m.timestamp_ms ? now_ms - m.timestamp_ms : m.timestamp_ms - now_ms;
  if (age > window) return errc::stale;

  auto it = senders_.find(m.node_id);
  if (it != senders_.end() && now_ms > it->second.forget_after_ms) {
    senders_.erase(it);  // every packet accepted from it is stale: nothing left to replay
    it = senders_.end();
  }
  // `age <= window`, so the packet is stale once our clock passes both its timestamp and now by
  // more than the window.
  const std::uint64_t stale_after = std::max(now_ms, m.timestamp_ms) + window;
  if (it == senders_.end()) {
    senders_[m.node_id] = sender{m.sequence, 1, stale_after};
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
  s.forget_after_ms = std::max(s.forget_after_ms, stale_after);
  return success();
}

}  // namespace lbha::heartbeat
