// What heartbeatd reads from (and writes to) the state dir.
//
//   <state>/pairing         YAML written by replicatord at `lbctl pair`:
//                             cluster_id: <32 hex digits>   (the pair's, same on both nodes)
//                             node_id: <1..4294967295>      (different on the two nodes)
//   <state>/heartbeat.key   the keyring (keyring.hpp), mode 0600
//   <state>/heartbeat.term  the persisted term, decimal; written by heartbeatd
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

struct identity {
  cluster_id cluster{};
  std::uint32_t node_id = 0;
};

inline constexpr const char* pairing_file = "pairing";
inline constexpr const char* key_file = "heartbeat.key";
inline constexpr const char* term_file = "heartbeat.term";

// 32 hex digits -> cluster id.
std::optional<cluster_id> parse_cluster_id(const std::string& hex);

// nullopt with an empty `error` when the file does not exist (unpaired).
std::optional<identity> load_pairing(const std::filesystem::path& path, std::string& error);

// 0 when the file does not exist; an error for an unreadable or garbled file.
result<std::uint64_t> load_term(const std::filesystem::path& path);
result<void> save_term(const std::filesystem::path& path, std::uint64_t term);

}  // namespace lbha::heartbeat
