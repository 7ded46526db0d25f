// The state-dir files pairing leaves on lb<i> of a lab pair (lb1 primary, lb2
// secondary), written by the same common/state writers replicatord uses, for
// tests that start heartbeatd and syncd without running `lbctl pair`.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "common/state/heartbeat_keys.hpp"
#include "common/state/hex.hpp"
#include "common/state/pair_certificate.hpp"
#include "common/state/pairing_file.hpp"

namespace lbha::lab {

inline void write_pairing_files(const std::filesystem::path& state_dir, int i,
                                const std::string& key_hex) {
  const state::state_files files(state_dir);
  state::pairing_identity id;
  id.cluster_id = "00112233445566778899aabbccddeeff";
  id.role = i == 1 ? state::node_role::primary : state::node_role::secondary;
  id.local_node_id = static_cast<std::uint32_t>(i);
  id.local_node_name = "lb" + std::to_string(i);
  id.peer_node_id = static_cast<std::uint32_t>(3 - i);
  id.peer_node_name = "lb" + std::to_string(3 - i);
  auto secret = state::from_hex(key_hex);
  if (!secret) throw std::invalid_argument("write_pairing_files: key is not hex");
  if (auto r = state::write_heartbeat_keys(files.heartbeat_key(), {{1, *secret}}); !r)
    throw std::runtime_error(r.error().message());
  if (auto r = state::write_pairing(files, id); !r) throw std::runtime_error(r.error().message());
  // pair.pem: one certificate for both nodes of the process's pair (syncd's TLS).
  static const auto pair = state::make_pair_certificate(id.cluster_id);
  if (!pair) throw std::runtime_error(pair.error().message());
  if (auto r = state::write_pair_certificate(files.pair_certificate(), pair.value()); !r)
    throw std::runtime_error(r.error().message());
}

}  // namespace lbha::lab
