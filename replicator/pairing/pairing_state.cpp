#include "replicator/pairing/pairing_state.hpp"

#include <openssl/rand.h>

#include <ctime>
#include <stdexcept>

#include "common/state/hex.hpp"

namespace lbha::pairing {

namespace {

void random_bytes(std::uint8_t* data, std::size_t size) {
  // Without randomness there is no safe key to hand out: a broken invariant.
  if (RAND_bytes(data, static_cast<int>(size)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no secure randomness available");
  }
}

}  // namespace

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  return state::to_hex({data, size});
}

std::string generate_cluster_id() {
  std::array<std::uint8_t, 16> id{};
  random_bytes(id.data(), id.size());
  return to_hex(id.data(), id.size());
}

state::heartbeat_key generate_heartbeat_key() {
  state::heartbeat_key key;
  do {
    random_bytes(reinterpret_cast<std::uint8_t*>(&key.id), sizeof(key.id));
  } while (key.id == 0);  // 0 means "no key" in a pairing offer
  key.secret.resize(state::min_key_bytes);
  random_bytes(key.secret.data(), key.secret.size());
  return key;
}

std::string utc_now_text() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lbha::pairing
