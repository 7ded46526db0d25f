// The heartbeat keys: HMAC-SHA256 secrets identified by a 32-bit key id.
//
// The first key is the one we sign with; every key authenticates incoming
// packets, so a key can be rotated by installing the new key second on both
// nodes, then first, then removing the old one, without a lost heartbeat.
//
// File format (<state-dir>/heartbeat.key, mode 0600, written by replicatord at
// pairing): one key per line, `<key id, decimal> <secret, hex, >= 32 bytes>`;
// blank lines and lines starting with '#' are ignored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace lbha::heartbeat {

struct key {
  std::uint32_t id = 0;
  std::vector<std::uint8_t> secret;
};

inline constexpr std::size_t min_key_bytes = 32;

class keyring {
 public:
  keyring() = default;
  explicit keyring(std::vector<key> keys) : keys_(std::move(keys)) {}

  bool empty() const { return keys_.empty(); }
  const key& signing_key() const { return keys_.front(); }  // requires !empty()
  const key* find(std::uint32_t id) const;

 private:
  std::vector<key> keys_;
};

// Parses the file format above; the message names the offending line.
result<keyring> parse_keyring(std::string_view text, std::string& error);

// Reads and parses `path`; refuses a file readable by group or others.
result<keyring> load_keyring(const std::filesystem::path& path, std::string& error);

}  // namespace lbha::heartbeat
