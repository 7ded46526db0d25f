// <state>/pairing: who this node is paired with (YAML, mode 0644).
//
//   cluster_id: <32 hex digits>      random per pairing, the same on both nodes
//   role: primary | secondary        the node `lbctl pair` ran on is the primary
//   local: {node_id: <1..4294967295>, name: <node name>}
//   peer: {node_id: <1..4294967295>, name: <node name>, addresses: [<ssh address>, ...]}
//   paired_at: <UTC, display only>
//
// Files written before this format had one owner also carry a top-level
// `node_id` (a copy of local.node_id); it is read and ignored. replicatord
// writes the file at `lbctl pair` (and lbha-receive-config on the secondary);
// heartbeatd reads cluster_id and local.node_id, replicatord all of it.
//
// <state>/peer_host_key: the peer sshd's pinned host key fingerprint
// ("SHA256:..." on one line), primary only.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/state/state_files.hpp"

namespace lbha::state {

enum class node_role { primary, secondary };

const char* to_string(node_role role);

// The primary is node 1 and the secondary node 2: a dual-active tie that
// survives term and priority is then won by the primary.
inline constexpr std::uint32_t primary_node_id = 1;
inline constexpr std::uint32_t secondary_node_id = 2;

using cluster_id_bytes = std::array<std::uint8_t, 16>;

struct pairing_identity {
  std::string cluster_id;  // 32 hex digits
  node_role role = node_role::primary;
  std::uint32_t local_node_id = 0;
  std::string local_node_name;
  std::uint32_t peer_node_id = 0;
  std::string peer_node_name;
  // Primary: the SSH address given to `lbctl pair` first. Secondary: the primary's addresses.
  std::vector<std::string> peer_addresses;
  std::string paired_at;

  bool operator==(const pairing_identity&) const = default;
};

// 32 hex digits -> the 16 bytes heartbeats carry; nullopt otherwise.
std::optional<cluster_id_bytes> parse_cluster_id(std::string_view hex);

std::string to_yaml(const pairing_identity& identity);
// errc::garbled naming the key.
result<pairing_identity> parse_pairing(std::string_view text);

// nullopt when the file does not exist (not paired).
result<std::optional<pairing_identity>> read_pairing(const state_files& files);
result<void> write_pairing(const state_files& files, const pairing_identity& identity);

result<std::optional<std::string>> read_peer_host_key(const state_files& files);
result<void> write_peer_host_key(const state_files& files, const std::string& fingerprint);

// Removes pairing, heartbeat.key, peer_host_key, pair.pem and pairing.pending (the node key stays: it is
// useless without an authorized_keys entry on a peer; the term stays too).
result<void> clear_pairing(const state_files& files);

}  // namespace lbha::state
