// IPv6 neighbour discovery codec: byte layouts from RFC 4861 4.3/4.4 and
// RFC 7527's nonce option, checksums computed independently of the code.
#include "heartbeatd/nd.hpp"

#include <gtest/gtest.h>

namespace lbha::heartbeat {
namespace {

const auto vip = asio::ip::make_address_v6("2001:db8::100");
const nd_nonce nonce{1, 2, 3, 4, 5, 6};
const mac_address mac{0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};

TEST(nd, solicited_node_group_and_its_ethernet_address) {
  EXPECT_EQ(solicited_node(vip).to_string(), "ff02::1:ff00:100");
  EXPECT_EQ(solicited_node(asio::ip::make_address_v6("fe80::abcd:1234:5678")).to_string(),
            "ff02::1:ff34:5678");
  EXPECT_EQ(multicast_mac(solicited_node(vip)), (mac_address{0x33, 0x33, 0xff, 0x00, 0x01, 0x00}));
}

TEST(nd, dad_probe_is_an_unspecified_source_solicitation_with_nonce_and_checksum) {
  const std::vector<std::uint8_t> expected = {
      0x60, 0, 0, 0, 0, 32, 58, 255,                          // IPv6: payload 32, ICMPv6, hops 255
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,         // source ::
      0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x00, 0x01, 0x00,  // ff02::1:ff00:100
      135, 0, 0x33, 0xda, 0, 0, 0, 0,                         // NS, checksum, reserved
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,  // target
      14, 1, 1, 2, 3, 4, 5, 6};                               // nonce option, no SLLA
  EXPECT_EQ(dad_probe_packet(vip, nonce), expected);
}

TEST(nd, advertisement_defending_a_probe_echoes_the_nonce) {
  const std::vector<std::uint8_t> expected = {
      136, 0, 0, 0, 0x20, 0, 0, 0,  // NA, checksum left to the kernel, Override only
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
      2, 1, 0x02, 0, 0, 0, 0, 0x0b,  // target link-layer address
      14, 1, 1, 2, 3, 4, 5, 6};
  EXPECT_EQ(encode_nd(advertisement(vip, mac, nonce)), expected);
  auto decoded = decode_nd(expected.data(), expected.size());
  ASSERT_TRUE(decoded);
  const nd_message& back = decoded.value();
  EXPECT_EQ(back.type, nd_message::kind::advertisement);
  EXPECT_TRUE(back.override_flag);
  EXPECT_FALSE(back.solicited);
  EXPECT_EQ(back.target, vip);
  EXPECT_EQ(back.link_layer, mac);
  EXPECT_EQ(back.nonce, nonce);
  // A plain announcement (takeover, kernel reply) carries no nonce.
  EXPECT_EQ(encode_nd(advertisement(vip, mac)).size(), 32u);
}

TEST(nd, decodes_a_kernel_solicited_advertisement) {
  const std::vector<std::uint8_t> na = {
      136, 0, 0x12, 0x34, 0x60, 0, 0, 0,  // Solicited + Override
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00,
      2, 1, 0x02, 0, 0, 0, 0, 0x0c};
  auto decoded = decode_nd(na.data(), na.size());
  ASSERT_TRUE(decoded);
  const nd_message& m = decoded.value();
  EXPECT_TRUE(m.solicited);
  EXPECT_FALSE(m.nonce);
  EXPECT_EQ(m.link_layer, (mac_address{0x02, 0, 0, 0, 0, 0x0c}));
}

TEST(nd, rejects_malformed_messages) {
  auto ok = encode_nd(advertisement(vip, mac, nonce));
  EXPECT_EQ(decode_nd(ok.data(), 23).error(), errc::truncated);  // shorter than the fixed part
  auto bad = ok;
  bad[1] = 1;  // code must be 0
  EXPECT_EQ(decode_nd(bad.data(), bad.size()).error(), errc::malformed);
  bad = ok;
  bad[0] = 134;  // a router advertisement is not ours to read
  EXPECT_EQ(decode_nd(bad.data(), bad.size()).error(), errc::malformed);
  bad = ok;
  bad[25] = 0;  // option length 0 (RFC 4861 4.6: discard)
  EXPECT_EQ(decode_nd(bad.data(), bad.size()).error(), errc::malformed);
  bad = ok;
  bad[25] = 9;  // option longer than the message
  EXPECT_EQ(decode_nd(bad.data(), bad.size()).error(), errc::malformed);
  bad = ok;
  bad[8] = 0xff;  // multicast target
  EXPECT_EQ(decode_nd(bad.data(), bad.size()).error(), errc::malformed);
  EXPECT_EQ(decode_nd(ok.data(), ok.size() - 1).error(), errc::malformed);  // truncated option
  EXPECT_TRUE(decode_nd(ok.data(), ok.size()));
}

}  // namespace
}  // namespace lbha::heartbeat
