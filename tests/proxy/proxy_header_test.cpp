// PROXY protocol headers against the examples of HAProxy's proxy-protocol.txt.
#include "proxy/proxy_header.hpp"

#include <gtest/gtest.h>

namespace lbha::proxy {
namespace {

asio::ip::tcp::endpoint at(const char* address, std::uint16_t port) {
  return {asio::ip::make_address(address), port};
}

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

const std::string signature = bytes({0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49,
                                     0x54, 0x0A});

TEST(proxy_header, v1_is_the_specifications_text_line) {
  EXPECT_EQ(proxy_header(proxy_protocol::v1, at("192.168.0.1", 56324), at("192.168.0.11", 443)),
            "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  // The specification's longest lines: 56 and 104 bytes with CRLF.
  const auto longest4 = proxy_header(proxy_protocol::v1, at("255.255.255.255", 65535),
                                     at("255.255.255.255", 65535));
  EXPECT_EQ(longest4, "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n");
  EXPECT_EQ(longest4.size(), 56u);
  const auto longest6 =
      proxy_header(proxy_protocol::v1, at("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
                   at("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535));
  EXPECT_EQ(longest6,
            "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
  EXPECT_EQ(longest6.size(), 104u);
  EXPECT_EQ(proxy_header_local(proxy_protocol::v1), "PROXY UNKNOWN\r\n");
}

TEST(proxy_header, v1_writes_an_ipv4_mapped_client_as_ipv4) {
  EXPECT_EQ(proxy_header(proxy_protocol::v1, at("::ffff:192.0.2.7", 40000), at("192.0.2.100", 443)),
            "PROXY TCP4 192.0.2.7 192.0.2.100 40000 443\r\n");
}

TEST(proxy_header, v2_ipv4_is_the_signature_then_proxy_tcp4_and_twelve_address_bytes) {
  EXPECT_EQ(proxy_header(proxy_protocol::v2, at("192.0.2.1", 56324), at("198.51.100.1", 443)),
            signature + bytes({0x21, 0x11, 0x00, 0x0C,   // v2 PROXY, TCP over IPv4, 12 bytes
                               192, 0, 2, 1,             // source address
                               198, 51, 100, 1,          // destination address
                               0xDC, 0x04,               // source port 56324
                               0x01, 0xBB}));            // destination port 443
}

TEST(proxy_header, v2_ipv6_carries_thirty_six_address_bytes) {
  const auto header =
      proxy_header(proxy_protocol::v2, at("2001:db8::1", 1024), at("2001:db8::100", 9001));
  ASSERT_EQ(header.size(), 16u + 36u);
  EXPECT_EQ(header.substr(0, 16), signature + bytes({0x21, 0x21, 0x00, 0x24}));
  EXPECT_EQ(header.substr(16, 16),
            bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}));
  EXPECT_EQ(header.substr(48), bytes({0x04, 0x00, 0x23, 0x29}));  // 1024, 9001
}

TEST(proxy_header, v2_local_for_health_checks_has_no_addresses) {
  EXPECT_EQ(proxy_header_local(proxy_protocol::v2), signature + bytes({0x20, 0x00, 0x00, 0x00}));
  EXPECT_EQ(proxy_header_local(proxy_protocol::none), "");
  EXPECT_EQ(proxy_header(proxy_protocol::none, at("192.0.2.1", 1), at("192.0.2.2", 2)), "");
}

}  // namespace
}  // namespace lbha::proxy
