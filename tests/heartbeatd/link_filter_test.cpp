// The socket filters, run by the kernel itself: each program is attached to one
// end of an AF_UNIX datagram socketpair (no root needed), whose filter sees the
// datagram from byte 0 exactly as an AF_PACKET SOCK_DGRAM socket sees an ARP
// payload, a raw ICMPv6 socket an ICMPv6 message and a raw IPv4 socket an IP
// packet. A sample frame is sent; what arrives is what the filter let through.
#include "heartbeatd/link_filter.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "heartbeatd/arp.hpp"
#include "heartbeatd/nd.hpp"

namespace lbha::heartbeat {
namespace {

class filtered_pair {
 public:
  explicit filtered_pair(const bpf_program& program) {
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds_) != 0)
      throw std::runtime_error("socketpair");
    auto r = attach(fds_[1], program);
    if (!r) throw std::runtime_error("attach: " + r.error().message());
  }
  ~filtered_pair() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // True when `frame` passed the filter.
  bool passes(const std::vector<std::uint8_t>& frame) {
    if (::send(fds_[0], frame.data(), frame.size(), 0) != static_cast<ssize_t>(frame.size()))
      throw std::runtime_error("send");
    std::uint8_t buf[2048];
    const ssize_t n = ::recv(fds_[1], buf, sizeof(buf), 0);
    if (n < 0) return false;
    EXPECT_EQ(static_cast<std::size_t>(n), frame.size()) << "the whole frame, not a snap";
    return true;
  }

 private:
  int fds_[2];
};

const auto vip = asio::ip::make_address_v4("192.0.2.100");
const auto vip2 = asio::ip::make_address_v4("192.0.2.101");
const auto other = asio::ip::make_address_v4("192.0.2.7");
const mac_address attacker{0x02, 0, 0, 0, 0, 0x66};

std::vector<std::uint8_t> arp_bytes(const arp_packet& p) {
  const auto b = encode_arp(p);
  return {b.begin(), b.end()};
}

arp_packet request(asio::ip::address_v4 sender, asio::ip::address_v4 target) {
  arp_packet p;
  p.op = 1;
  p.sender_mac = attacker;
  p.sender_ip = sender;
  p.target_ip = target;
  return p;
}

TEST(link_filter, arp_passes_only_packets_about_our_vips) {
  filtered_pair pair(arp_filter({vip, vip2}));
  EXPECT_TRUE(pair.passes(arp_bytes(gratuitous(vip, attacker, false))));  // a claim
  EXPECT_TRUE(pair.passes(arp_bytes(gratuitous(vip2, attacker, true))));
  EXPECT_TRUE(pair.passes(arp_bytes(probe(vip2, attacker))));        // a probe to defend
  EXPECT_TRUE(pair.passes(arp_bytes(request(vip, other))));          // sender is a VIP
  EXPECT_FALSE(pair.passes(arp_bytes(request(other, asio::ip::make_address_v4("192.0.2.8")))));
  EXPECT_FALSE(pair.passes(arp_bytes(gratuitous(other, attacker, false))));
  auto not_ipv4 = arp_bytes(gratuitous(vip, attacker, false));
  not_ipv4[2] = 0x86, not_ipv4[3] = 0xdd;
  EXPECT_FALSE(pair.passes(not_ipv4));
  auto odd_lengths = arp_bytes(gratuitous(vip, attacker, false));
  odd_lengths[4] = 8;
  EXPECT_FALSE(pair.passes(odd_lengths));
  EXPECT_FALSE(pair.passes({0x00, 0x01}));  // truncated: a load past the end drops
}

TEST(link_filter, arp_without_vips_passes_nothing_and_too_many_checks_the_kind_only) {
  filtered_pair none(arp_filter({}));
  EXPECT_FALSE(none.passes(arp_bytes(gratuitous(vip, attacker, false))));
  std::vector<asio::ip::address_v4> many;
  for (unsigned i = 0; i <= max_filtered_addresses; ++i)
    many.push_back(asio::ip::address_v4(0xc6336400u + i));  // 198.51.100.i
  filtered_pair kind_only(arp_filter(many));
  EXPECT_TRUE(kind_only.passes(arp_bytes(gratuitous(other, attacker, false))));
  auto not_ipv4 = arp_bytes(gratuitous(vip, attacker, false));
  not_ipv4[3] = 0x06;
  EXPECT_FALSE(kind_only.passes(not_ipv4));
  std::vector<asio::ip::address_v4> most(many.begin(), many.end() - 1);
  filtered_pair at_limit(arp_filter(most));  // the largest program still filters addresses
  EXPECT_TRUE(at_limit.passes(arp_bytes(gratuitous(most.back(), attacker, false))));
  EXPECT_FALSE(at_limit.passes(arp_bytes(gratuitous(other, attacker, false))));
}

TEST(link_filter, nd_passes_solicitations_and_advertisements_for_our_vips_only) {
  const auto v6 = asio::ip::make_address_v6("2001:db8::100");
  const auto v6b = asio::ip::make_address_v6("2001:db8::101");
  const auto stranger = asio::ip::make_address_v6("2001:db8::100:1");
  filtered_pair pair(nd_filter({v6, v6b}));
  const auto na = [&](asio::ip::address_v6 target) {
    return encode_nd(advertisement(target, attacker));
  };
  EXPECT_TRUE(pair.passes(na(v6)));
  EXPECT_TRUE(pair.passes(na(v6b)));
  nd_message ns;
  ns.type = nd_message::kind::solicitation;
  ns.target = v6b;
  EXPECT_TRUE(pair.passes(encode_nd(ns)));
  EXPECT_FALSE(pair.passes(na(stranger)));  // differs in the last word only
  EXPECT_FALSE(pair.passes(na(asio::ip::make_address_v6("2001:db9::100"))));
  auto echo = na(v6);
  echo[0] = 128;
  EXPECT_FALSE(pair.passes(echo));
  auto code = na(v6);
  code[1] = 1;
  EXPECT_FALSE(pair.passes(code));
  std::vector<asio::ip::address_v6> most;
  for (unsigned i = 0; i < max_filtered_addresses; ++i) {
    auto b = v6.to_bytes();
    b[15] = static_cast<std::uint8_t>(i);
    most.push_back(asio::ip::address_v6(b));
  }
  filtered_pair at_limit(nd_filter(most));
  EXPECT_TRUE(at_limit.passes(na(most.back())));
  EXPECT_FALSE(at_limit.passes(na(stranger)));
}

// An IPv4 packet (20-byte header, or 24 with options) carrying an ICMP message.
std::vector<std::uint8_t> ip_icmp(asio::ip::address_v4 from, std::uint8_t type,
                                  std::uint16_t ident, bool options = false) {
  std::vector<std::uint8_t> b(options ? 24 : 20, 0);
  b[0] = options ? 0x46 : 0x45;
  b[9] = 1;
  const auto src = from.to_bytes();
  std::copy(src.begin(), src.end(), b.begin() + 12);
  const std::uint8_t icmp[16] = {type, 0, 0, 0, static_cast<std::uint8_t>(ident >> 8),
                                 static_cast<std::uint8_t>(ident), 0, 1};
  b.insert(b.end(), icmp, icmp + sizeof(icmp));
  return b;
}

TEST(link_filter, raw_icmp_passes_echo_replies_from_our_ping_node_with_our_identifier) {
  const auto ping_node = asio::ip::make_address_v4("192.0.2.254");
  filtered_pair pair(echo_reply_filter_v4(true, 0x1234, {ping_node}));
  EXPECT_TRUE(pair.passes(ip_icmp(ping_node, 0, 0x1234)));
  EXPECT_TRUE(pair.passes(ip_icmp(ping_node, 0, 0x1234, true)));  // IP options: header length
  EXPECT_FALSE(pair.passes(ip_icmp(other, 0, 0x1234)));            // another sender
  EXPECT_FALSE(pair.passes(ip_icmp(ping_node, 0, 0x4321)));        // another identifier
  EXPECT_FALSE(pair.passes(ip_icmp(ping_node, 8, 0x1234)));        // a request, not a reply
  auto udp = ip_icmp(ping_node, 0, 0x1234);
  udp[9] = 17;
  EXPECT_FALSE(pair.passes(udp));
}

TEST(link_filter, ping_socket_and_icmpv6_filters_pass_echo_replies_only) {
  filtered_pair dgram(echo_reply_filter_v4(false, 0, {}));
  EXPECT_TRUE(dgram.passes({0, 0, 0, 0, 0x12, 0x34, 0, 1}));
  EXPECT_FALSE(dgram.passes({3, 1, 0, 0, 0, 0, 0, 0}));  // unreachable
  filtered_pair raw6(echo_reply_filter_v6(true, 0x1234));
  EXPECT_TRUE(raw6.passes({129, 0, 0, 0, 0x12, 0x34, 0, 1}));
  EXPECT_FALSE(raw6.passes({129, 0, 0, 0, 0x43, 0x21, 0, 1}));
  EXPECT_FALSE(raw6.passes({135, 0, 0, 0, 0x12, 0x34, 0, 1}));
  filtered_pair dgram6(echo_reply_filter_v6(false, 0));
  EXPECT_TRUE(dgram6.passes({129, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_FALSE(dgram6.passes({128, 0, 0, 0, 0, 0, 0, 1}));
}

}  // namespace
}  // namespace lbha::heartbeat
