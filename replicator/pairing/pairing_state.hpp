// The key material pairing hands out. The state-dir files it goes into
// (pairing, heartbeat.key, peer_host_key, id_ed25519) are common/state: one
// reader and one writer each, shared with heartbeatd.
#pragma once

#include <cstdint>
#include <string>

#include "common/state/heartbeat_keys.hpp"
#include "common/state/pairing_file.hpp"

namespace lbha::pairing {

// Random identifiers and key material from OpenSSL's RAND_bytes.
std::string generate_cluster_id();
state::heartbeat_key generate_heartbeat_key();  // 32 bytes, id 1..4294967295

// "2026-11-25T18:00:00Z"
std::string utc_now_text();

std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace lbha::pairing
