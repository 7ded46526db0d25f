// The server_key dictionary cache of the peers protocol.
//
// Each session direction keeps up to 128 strings by id (1..128) so a server
// name is sent in full once and then as a one-byte reference. Both sides
// empty their caches on every new session. The sender replaces slots in
// round-robin order, so the receiver only has to store what it is told.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace lbha::sync {

inline constexpr std::uint32_t dictionary_size = 128;

class tx_dictionary {
 public:
  struct slot {
    std::uint32_t id;  // 1..dictionary_size
    bool is_new;       // true: send the value with the id; false: the id alone
  };

  slot lookup_or_insert(const std::string& value);
  void clear();

 private:
  std::unordered_map<std::string, std::uint32_t> ids_;
  std::array<std::string, dictionary_size> values_;
  std::array<bool, dictionary_size> used_{};
  std::uint32_t next_ = 0;
};

class rx_dictionary {
 public:
  // False if id is outside 1..dictionary_size.
  bool set(std::uint64_t id, std::string value);
  // nullptr if id is out of range or was never set in this session.
  const std::string* get(std::uint64_t id) const;
  void clear();

 private:
  std::array<std::optional<std::string>, dictionary_size> values_;
};

}  // namespace lbha::sync
