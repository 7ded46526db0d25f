// The ARP codec and the packets the announcer and prober build.
#include "heartbeatd/arp.hpp"

#include <gtest/gtest.h>

namespace lbha::heartbeat {
namespace {

const auto vip = asio::ip::make_address_v4("192.0.2.100");
const mac_address mac{0x02, 0, 0, 0, 0, 0x0b};

TEST(arp, gratuitous_request_is_an_announcement_and_round_trips) {
  const auto p = gratuitous(vip, mac, false);
  EXPECT_TRUE(p.is_announcement());
  EXPECT_FALSE(p.is_probe());
  const auto bytes = encode_arp(p);
  EXPECT_EQ(bytes[7], 1);  // request
  auto back = decode_arp(bytes.data(), bytes.size());
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value().sender_ip, vip);
  EXPECT_EQ(back.value().target_ip, vip);
  EXPECT_EQ(back.value().sender_mac, mac);
  EXPECT_EQ(back.value().target_mac, mac_address{});
}

TEST(arp, reply_mode_targets_broadcast) {
  const auto bytes = encode_arp(gratuitous(vip, mac, true));
  EXPECT_EQ(bytes[7], 2);
  auto back = decode_arp(bytes.data(), bytes.size());
  ASSERT_TRUE(back);
  EXPECT_EQ(back.value().target_mac, (mac_address{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}));
  EXPECT_TRUE(back.value().is_announcement());
}

TEST(arp, probe_has_the_unspecified_sender) {
  const auto p = probe(vip, mac);
  EXPECT_TRUE(p.is_probe());
  EXPECT_FALSE(p.is_announcement());
  const auto bytes = encode_arp(p);
  auto back = decode_arp(bytes.data(), bytes.size());
  ASSERT_TRUE(back);
  EXPECT_TRUE(back.value().is_probe());
  EXPECT_EQ(back.value().target_ip, vip);
}

TEST(arp, rejects_short_and_foreign_payloads) {
  auto bytes = encode_arp(probe(vip, mac));
  EXPECT_EQ(decode_arp(bytes.data(), 27).error(), errc::truncated);
  bytes[2] = 0x86;  // not IPv4
  EXPECT_EQ(decode_arp(bytes.data(), bytes.size()).error(), errc::malformed);
}

}  // namespace
}  // namespace lbha::heartbeat
