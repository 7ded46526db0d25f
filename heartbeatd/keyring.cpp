#include "heartbeatd/keyring.hpp"

namespace lbha::heartbeat {

const key* keyring::find(std::uint32_t id) const {
  for (const auto& k : keys_)
    if (k.id == id) return &k;
  return nullptr;
}

}  // namespace lbha::heartbeat
