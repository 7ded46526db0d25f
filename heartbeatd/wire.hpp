// The heartbeat packet, version 1: a fixed 96-byte datagram, big-endian,
// authenticated with HMAC-SHA256 (OpenSSL libcrypto). The byte layout is
// documented in heartbeatd/README.md; the unit tests pin it with wire vectors.
//
// decode() checks, in this order: size, magic, version, cluster id, key id,
// HMAC (constant-time), field values. Freshness and replay are per-sender state
// and live in anti_replay.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/result.hpp"
#include "heartbeatd/errc.hpp"
#include "heartbeatd/keyring.hpp"

namespace lbha::heartbeat {

// Same numbering as lbha.v1.Role.
enum class role : std::uint8_t { init = 1, passive = 2, active = 3, fault = 4 };

std::string_view to_string(role r);

using cluster_id = std::array<std::uint8_t, 16>;

struct flags {
  bool ping_ok = false;      // our ping node(s) answer (true when none is configured)
  bool proxy_ready = false;  // the local proxyd reports ready
  bool want_active = false;  // an operator asked us to become active: please release
  bool yield = false;        // we released on purpose: do not hand the VIPs back to us
  bool operator==(const flags&) const = default;
};

struct message {
  role sender_role = role::init;
  std::uint8_t priority = 0;
  flags health;
  cluster_id cluster{};
  std::uint32_t node_id = 0;
  std::uint32_t key_id = 0;  // filled in by encode() from the key
  std::uint64_t term = 0;
  std::uint64_t sequence = 0;
  std::uint64_t generation = 0;    // the sender's cluster config generation
  std::uint64_t timestamp_ms = 0;  // sender's wall clock, ms since the Unix epoch
  bool operator==(const message&) const = default;
};

inline constexpr std::array<std::uint8_t, 4> magic = {'L', 'B', 'H', 'B'};
inline constexpr std::uint8_t version = 1;
inline constexpr std::size_t packet_size = 96;
inline constexpr std::size_t authenticated_size = 64;  // bytes covered by the HMAC

using packet = std::array<std::uint8_t, packet_size>;

packet encode(const message& m, const key& k);

result<message> decode(std::span<const std::uint8_t> bytes, const cluster_id& expected_cluster,
                       const keyring& keys);

}  // namespace lbha::heartbeat
