// The heartbeat keys in memory: HMAC-SHA256 secrets looked up by the 32-bit
// key id a heartbeat carries.
//
// The first key is the one we sign with; every key authenticates incoming
// packets, so a key can be rotated without a lost heartbeat. The keys come
// from <state>/heartbeat.key, whose one parser is common/state/heartbeat_keys.hpp.
#pragma once

#include <cstdint>
#include <vector>

#include "common/state/heartbeat_keys.hpp"

namespace lbha::heartbeat {

using key = state::heartbeat_key;

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

}  // namespace lbha::heartbeat
