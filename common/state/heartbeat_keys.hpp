// <state>/heartbeat.key: the HMAC-SHA256 heartbeat keys the pair shares.
//
// One key per line, `<key id, decimal 0..4294967295> <secret, hex, >= 32
// bytes>`; blank lines and lines starting with '#' are ignored; key ids are
// unique. The first key signs, every key verifies, so a key is rotated by
// installing the new one second on both nodes, then first, then removing the
// old one. The file is mode 0600: one readable by group or others is refused.
// replicatord writes it at pairing (one 32-byte key); heartbeatd reads it
// into its keyring.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/state/state_files.hpp"

namespace lbha::state {

inline constexpr std::size_t min_key_bytes = 32;

struct heartbeat_key {
  std::uint32_t id = 0;
  std::vector<std::uint8_t> secret;

  bool operator==(const heartbeat_key&) const = default;
};

// At least one key. errc::garbled naming the line; secrets never go into messages.
result<std::vector<heartbeat_key>> parse_heartbeat_keys(std::string_view text);
std::string to_text(const std::vector<heartbeat_key>& keys);

// nullopt when the file does not exist; errc::insecure_mode when it is not 0600.
result<std::optional<std::vector<heartbeat_key>>> read_heartbeat_keys(
    const std::filesystem::path& path);
result<void> write_heartbeat_keys(const std::filesystem::path& path,
                                  const std::vector<heartbeat_key>& keys);  // mode 0600

}  // namespace lbha::state
