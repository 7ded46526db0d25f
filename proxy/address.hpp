// A client address as a fixed-size, hashable key: the stick table's key and
// the source-hash balancer's input. IPv4 is kept as 4 bytes and IPv6 as 16, in
// network order, which is also the StickEntry.client wire form that syncd uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace lbha::proxy {

struct client_key {
  std::uint8_t size = 0;  // 4 (IPv4) or 16 (IPv6)
  std::array<std::uint8_t, 16> bytes{};

  static client_key from(const asio::ip::address& a) {
    client_key k;
    if (a.is_v4()) {
      auto b = a.to_v4().to_bytes();
      k.size = 4;
      std::memcpy(k.bytes.data(), b.data(), 4);
    } else {
      auto b = a.to_v6().to_bytes();
      k.size = 16;
      std::memcpy(k.bytes.data(), b.data(), 16);
    }
    return k;
  }

  // From the StickEntry.client bytes; nullopt unless exactly 4 or 16 bytes.
  static std::optional<client_key> from_bytes(std::string_view raw) {
    if (raw.size() != 4 && raw.size() != 16) return std::nullopt;
    client_key k;
    k.size = static_cast<std::uint8_t>(raw.size());
    std::memcpy(k.bytes.data(), raw.data(), raw.size());
    return k;
  }

  std::string to_bytes() const {
    return std::string(reinterpret_cast<const char*>(bytes.data()), size);
  }

  asio::ip::address to_address() const {
    if (size == 4) {
      asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), bytes.data(), 4);
      return asio::ip::address_v4(b);
    }
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), bytes.data(), 16);
    return asio::ip::address_v6(b);
  }

  // FNV-1a over the significant bytes, then a 64-bit finaliser (splitmix) so
  // that neighbouring addresses land in different shards and hash buckets.
  std::uint64_t hash() const {
    std::uint64_t h = 1469598103934665603ull ^ size;
    for (std::size_t i = 0; i < size; ++i) {
      h ^= bytes[i];
      h *= 1099511628211ull;
    }
    return mix(h);
  }

  static std::uint64_t mix(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
  }

  friend bool operator==(const client_key& a, const client_key& b) {
    return a.size == b.size && std::memcmp(a.bytes.data(), b.bytes.data(), a.size) == 0;
  }
};

}  // namespace lbha::proxy
