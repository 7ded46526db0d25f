// Freshness and replay checks on authenticated heartbeats, per sender.
//
// A sender numbers its packets with a 64-bit sequence that starts at its wall
// clock in microseconds when it starts and then counts up by one per packet, so
// a restarted sender continues above everything it sent before. We keep, per
// sender node id, the highest sequence accepted and a 64-packet bitmap below
// it (as IPsec does), which tolerates reordering across several paths.
//
// A packet is stale when its timestamp is more than `window` away from our
// wall clock; a recorded capture therefore goes stale `window` after its
// timestamp. We remember a silent sender until every packet accepted from it
// is stale: `window` after the later of its last acceptance and the newest
// timestamp accepted (a sender whose clock runs ahead of ours sends packets
// that stay fresh for longer than `window` after we accept them). After that
// any replay of its old packets is stale anyway, and a sender whose clock
// stepped back is accepted again.
//
// Pure: the caller passes the wall clock; no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>

#include "common/result.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

class anti_replay {
 public:
  static constexpr std::chrono::milliseconds default_window{30'000};

  explicit anti_replay(std::chrono::milliseconds window = default_window) : window_(window) {}

  // errc::stale, errc::replayed, or success (and the packet is recorded).
  result<void> check(const message& m, std::uint64_t now_ms);

 private:
  struct sender {
    std::uint64_t highest = 0;
    std::uint64_t seen = 0;  // bit i: highest - i was accepted
    std::uint64_t forget_after_ms = 0;  // every packet accepted from it is stale by then
  };

  std::chrono::milliseconds window_;
  std::map<std::uint32_t, sender> senders_;
};

// The first sequence number of a sender starting at wall-clock `now_us`.
inline std::uint64_t initial_sequence(std::uint64_t now_us) { return now_us; }

}  // namespace lbha::heartbeat
