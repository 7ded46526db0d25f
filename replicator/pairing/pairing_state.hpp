// The pairing files in a node's state dir, shared with heartbeatd.
//
//   <state>/pairing         YAML: who we are paired with: cluster id, node ids, names, role, peer addresses
//   <state>/heartbeat.key   the HMAC-SHA256 key, heartbeatd's keyring format "<id> <hex>", mode 0600
//   <state>/peer_host_key   the peer sshd's pinned host key fingerprint (primary only)
//   <state>/id_ed25519      this node's SSH key (primary: logs in to the secondary with it)
//
// Every write is atomic (common/atomic_file). heartbeatd links lbha_pairing and
// reads the first two with read_pairing_identity / read_heartbeat_key; the
// format is documented in replicator/pairing/README.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "replicator/pairing/outcome.hpp"

namespace lbha::pairing {

enum class node_role { primary, secondary };

const char* to_string(node_role role);

// The primary is node 1 and the secondary node 2: a dual-active tie that
// survives term and priority is then won by the primary.
inline constexpr std::uint32_t primary_node_id = 1;
inline constexpr std::uint32_t secondary_node_id = 2;

struct pairing_identity {
  std::string cluster_id;  // 32 hex digits, random per pairing
  node_role role = node_role::primary;
  std::uint32_t local_node_id = 0;
  std::string local_node_name;
  std::uint32_t peer_node_id = 0;
  std::string peer_node_name;
  // Primary: the SSH address given to `lbctl pair` first. Secondary: the primary's addresses.
  std::vector<std::string> peer_addresses;
  std::string paired_at;  // UTC, for display only

  bool operator==(const pairing_identity&) const = default;
};

struct heartbeat_key {
  std::uint32_t key_id = 0;
  std::array<std::uint8_t, 32> key{};

  bool operator==(const heartbeat_key&) const = default;
};

// Paths of the pairing files in one state dir.
struct state_files {
  explicit state_files(std::filesystem::path state_dir) : dir(std::move(state_dir)) {}

  std::filesystem::path pairing() const { return dir / "pairing"; }
  std::filesystem::path heartbeat_key() const { return dir / "heartbeat.key"; }
  std::filesystem::path peer_host_key() const { return dir / "peer_host_key"; }
  std::filesystem::path node_key() const { return dir / "id_ed25519"; }

  std::filesystem::path dir;
};

// Random identifiers and key material from OpenSSL's RAND_bytes.
std::string generate_cluster_id();
heartbeat_key generate_heartbeat_key();

std::string to_yaml(const pairing_identity& identity);
outcome<pairing_identity> parse_pairing_identity(const std::string& text);
std::string to_text(const heartbeat_key& key);
outcome<heartbeat_key> parse_heartbeat_key(const std::string& text);

// Readers: nullopt when the file does not exist (not paired); a failure when it
// exists but cannot be read or parsed.
outcome<std::optional<pairing_identity>> read_pairing_identity(const state_files& files);
outcome<std::optional<heartbeat_key>> read_heartbeat_key(const state_files& files);
outcome<std::optional<std::string>> read_pinned_host_key(const state_files& files);

outcome<void> write_pairing_identity(const state_files& files, const pairing_identity& identity);
outcome<void> write_heartbeat_key(const state_files& files, const heartbeat_key& key);  // 0600
outcome<void> write_pinned_host_key(const state_files& files, const std::string& fingerprint);

// Removes pairing, heartbeat.key and peer_host_key (the node key stays:
// it is useless without an authorized_keys entry on a peer).
outcome<void> clear_pairing(const state_files& files);

// "2026-11-25T18:00:00Z"
std::string utc_now_text();

std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace lbha::pairing
