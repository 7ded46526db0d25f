// heartbeatd's errors. The first errc_count are why a heartbeat datagram was
// dropped: every such reason has its own counter (GetStatus shows them), so an
// operator can tell a misconfigured peer (wrong cluster, unknown key) from an
// attack (bad HMAC, replayed) from a flaky path (truncated). The rest are the
// daemon's refusals (make-passive, reload).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <system_error>

namespace lbha::heartbeat {

enum class errc {
  truncated = 1,  // shorter than its version's fixed size
  oversized,      // longer than its version's fixed size
  bad_magic,      // not a heartbeat at all
  wrong_version,  // a format this build does not speak
  wrong_cluster,  // another pair's heartbeat
  unknown_key,    // key id not in our keyring
  bad_hmac,       // authentication failed
  malformed,      // authenticated but carries invalid field values
  stale,          // timestamp outside the accepted window
  replayed,       // sequence already seen (or too old) from that sender
  own_node,       // carries our own node id: a reflection or a misconfigured peer
  // Not wire drops:
  no_live_peer = 100,  // make-passive with no live peer ready to take over
  restart_required,    // a reload changes what only a restart applies
};

// The wire drop reasons: errc 1..errc_count.
inline constexpr std::size_t errc_count = 11;

// Index 0..errc_count-1 for counter arrays (wire drop reasons only).
constexpr std::size_t index_of(errc e) { return static_cast<std::size_t>(e) - 1; }

// snake_case name, used as the counter's key in GetStatus and in logs.
std::string_view to_string(errc e);

const std::error_category& heartbeat_category();

inline std::error_code make_error_code(errc e) {
  return {static_cast<int>(e), heartbeat_category()};
}

// Per-reason drop counters.
using drop_counters = std::array<std::uint64_t, errc_count>;

}  // namespace lbha::heartbeat

template <>
struct std::is_error_code_enum<lbha::heartbeat::errc> : std::true_type {};
