#include "heartbeatd/wire.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace lbha::heartbeat {

std::string_view to_string(role r) {
  switch (r) {
    case role::init:
      return "init";
    case role::passive:
      return "passive";
    case role::active:
      return "active";
    case role::fault:
      return "fault";
  }
  return "invalid";
}

namespace {

constexpr std::uint8_t flag_ping_ok = 0x01;
constexpr std::uint8_t flag_proxy_ready = 0x02;
constexpr std::uint8_t flag_want_active = 0x04;
constexpr std::uint8_t flag_yield = 0x08;
constexpr std::uint8_t flags_known = 0x0f;

template <typename T>
void put(std::uint8_t* out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i)
    out[i] = static_cast<std::uint8_t>(v >> (8 * (sizeof(T) - 1 - i)));
}

template <typename T>
T get(const std::uint8_t* in) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>((v << 8) | in[i]);
  return v;
}

std::array<std::uint8_t, 32> hmac_sha256(const key& k, const std::uint8_t* data, std::size_t n) {
  std::array<std::uint8_t, 32> out{};
  unsigned int len = 0;
  // A failure here means libcrypto itself is broken: crash loudly.
  if (!HMAC(EVP_sha256(), k.secret.data(), static_cast<int>(k.secret.size()), data, n, out.data(),
            &len) ||
      len != out.size())
    std::abort();
  return out;
}

}  // namespace

packet encode(const message& m, const key& k) {
  packet p{};
  std::copy(magic.begin(), magic.end(), p.begin());
  p[4] = version;
  p[5] = static_cast<std::uint8_t>(m.sender_role);
  p[6] = m.priority;
  p[7] = static_cast<std::uint8_t>(
      (m.health.ping_ok ? flag_ping_ok : 0) | (m.health.proxy_ready ? flag_proxy_ready : 0) |
      (m.health.want_active ? flag_want_active : 0) | (m.health.yield ? flag_yield : 0));
  std::copy(m.cluster.begin(), m.cluster.end(), p.begin() + 8);
  put<std::uint32_t>(&p[24], m.node_id);
  put<std::uint32_t>(&p[28], k.id);
  put<std::uint64_t>(&p[32], m.term);
  put<std::uint64_t>(&p[40], m.sequence);
  put<std::uint64_t>(&p[48], m.generation);
  put<std::uint64_t>(&p[56], m.timestamp_ms);
  auto mac = hmac_sha256(k, p.data(), authenticated_size);
  std::copy(mac.begin(), mac.end(), p.begin() + authenticated_size);
  return p;
}

result<message> decode(std::span<const std::uint8_t> b, const cluster_id& expected_cluster,
                       const keyring& keys) {
  if (b.size() < magic.size() + 1) return errc::truncated;
  if (!std::equal(magic.begin(), magic.end(), b.begin())) return errc::bad_magic;
  if (b[4] != version) return errc::wrong_version;
  if (b.size() < packet_size) return errc::truncated;
  if (b.size() > packet_size) return errc::oversized;
  if (!std::equal(expected_cluster.begin(), expected_cluster.end(), b.begin() + 8))
    return errc::wrong_cluster;
  const key* k = keys.find(get<std::uint32_t>(&b[28]));
  if (!k) return errc::unknown_key;
  auto mac = hmac_sha256(*k, b.data(), authenticated_size);
  if (CRYPTO_memcmp(mac.data(), b.data() + authenticated_size, mac.size()) != 0)
    return errc::bad_hmac;

  // Authenticated from here on: an invalid value is a peer bug, not an attack.
  if (b[5] < 1 || b[5] > 4 || (b[7] & ~flags_known) != 0) return errc::malformed;
  message m;
  m.sender_role = static_cast<role>(b[5]);
  m.priority = b[6];
  m.health.ping_ok = b[7] & flag_ping_ok;
  m.health.proxy_ready = b[7] & flag_proxy_ready;
  m.health.want_active = b[7] & flag_want_active;
  m.health.yield = b[7] & flag_yield;
  std::copy(b.begin() + 8, b.begin() + 24, m.cluster.begin());
  m.node_id = get<std::uint32_t>(&b[24]);
  m.key_id = k->id;
  m.term = get<std::uint64_t>(&b[32]);
  m.sequence = get<std::uint64_t>(&b[40]);
  m.generation = get<std::uint64_t>(&b[48]);
  m.timestamp_ms = get<std::uint64_t>(&b[56]);
  return m;
}

}  // namespace lbha::heartbeat
