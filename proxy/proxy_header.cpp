#include "proxy/proxy_header.hpp"

#include <array>
#include <cstdint>

namespace lbha::proxy {

namespace {

// The v2 signature: "\r\n\r\n\0\r\nQUIT\n".
constexpr std::array<std::uint8_t, 12> v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::uint8_t v2_proxy = 0x21;  // version 2, command PROXY
constexpr std::uint8_t v2_local = 0x20;  // version 2, command LOCAL
constexpr std::uint8_t tcp_over_ipv4 = 0x11;
constexpr std::uint8_t tcp_over_ipv6 = 0x21;
constexpr std::uint8_t unspecified = 0x00;

asio::ip::address unmapped(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a;
}

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

template <typename Bytes>
void put_bytes(std::string& out, const Bytes& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string v2_head(std::uint8_t command, std::uint8_t family, std::uint16_t length) {
  std::string out;
  put_bytes(out, v2_signature);
  out += static_cast<char>(command);
  out += static_cast<char>(family);
  put16(out, length);
  return out;
}

}  // namespace

std::string proxy_header(proxy_protocol version, const asio::ip::tcp::endpoint& client,
                         const asio::ip::tcp::endpoint& vip) {
  const auto source = unmapped(client.address());
  const auto destination = unmapped(vip.address());
  const bool v4 = source.is_v4() && destination.is_v4();
  const bool v6 = source.is_v6() && destination.is_v6();
  switch (version) {
    case proxy_protocol::none:
      return {};
    case proxy_protocol::v1:
      if (!v4 && !v6) return "PROXY UNKNOWN\r\n";
      return std::string("PROXY ") + (v4 ? "TCP4 " : "TCP6 ") + source.to_string() + " " +
             destination.to_string() + " " + std::to_string(client.port()) + " " +
             std::to_string(vip.port()) + "\r\n";
    case proxy_protocol::v2: {
      if (!v4 && !v6) return v2_head(v2_proxy, unspecified, 0);
      std::string out = v2_head(v2_proxy, v4 ? tcp_over_ipv4 : tcp_over_ipv6, v4 ? 12 : 36);
      if (v4) {
        put_bytes(out, source.to_v4().to_bytes());
        put_bytes(out, destination.to_v4().to_bytes());
      } else {
        put_bytes(out, source.to_v6().to_bytes());
        put_bytes(out, destination.to_v6().to_bytes());
      }
      put16(out, client.port());
      put16(out, vip.port());
      return out;
    }
  }
  return {};
}

std::string proxy_header_local(proxy_protocol version) {
  switch (version) {
    case proxy_protocol::none: return {};
    case proxy_protocol::v1: return "PROXY UNKNOWN\r\n";
    case proxy_protocol::v2: return v2_head(v2_local, unspecified, 0);
  }
  return {};
}

}  // namespace lbha::proxy
