// IPv6 neighbour discovery for VIPs: what arp.hpp does for IPv4.
//
// - Announce: unsolicited neighbour advertisements (RFC 4861 7.2.6) to
//   ff02::1 with the Override flag and our link-layer address.
// - Probe before takeover: a duplicate address detection solicitation
//   (RFC 4862: source ::, to the VIP's solicited-node group) carrying an
//   RFC 7527 nonce. Like an ARP probe it is answered by the kernel of any host
//   that has the address, even one whose heartbeatd was killed; the kernel's
//   advertisement carries no nonce. A live heartbeatd holding the VIP *defends*
//   it with an advertisement that echoes the probe's nonce, and only that
//   counts as "the VIP is held": a crashed peer's leftover address does not
//   block the takeover.
// - Conflict, while active: an unsolicited advertisement for one of our VIPs
//   from another link-layer address.
//
// The codec is pure and unit-tested; nd_socket does the I/O (a raw ICMPv6
// socket for advertisements and receiving, AF_PACKET for probes, whose
// unspecified source address a raw IPv6 socket cannot send).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "heartbeatd/errc.hpp"
#include "heartbeatd/arp.hpp"
#include "heartbeatd/link_filter.hpp"

namespace lbha::heartbeat {

using nd_nonce = std::array<std::uint8_t, 6>;

struct nd_message {
  enum class kind : std::uint8_t { solicitation = 135, advertisement = 136 };
  kind type = kind::advertisement;
  asio::ip::address_v6 source;  // the IPv6 source (from the packet, not the ICMPv6 body)
  asio::ip::address_v6 target;
  bool router = false, solicited = false, override_flag = false;  // advertisements only
  std::optional<mac_address> link_layer;  // source (NS) or target (NA) link-layer address
  std::optional<nd_nonce> nonce;          // RFC 7527 nonce option

  bool is_dad_probe() const { return type == kind::solicitation && source.is_unspecified(); }
};

// The ICMPv6 message (type, code, checksum 0 for the kernel to fill, body, options).
std::vector<std::uint8_t> encode_nd(const nd_message& m);
// Decodes an ICMPv6 NS or NA; `source` is left for the caller. errc::truncated when
// shorter than its fixed part, errc::malformed for a wrong type or code, a bad option
// length or a multicast target.
result<nd_message> decode_nd(const std::uint8_t* data, std::size_t size);

// ff02::1:ffXX:XXXX, the solicited-node group of `a`, and its Ethernet address 33:33:ff:XX:XX:XX.
asio::ip::address_v6 solicited_node(const asio::ip::address_v6& a);
mac_address multicast_mac(const asio::ip::address_v6& group);
// The ICMPv6 checksum over the pseudo-header and `icmp` (RFC 4443 2.3).
std::uint16_t icmpv6_checksum(const asio::ip::address_v6& src, const asio::ip::address_v6& dst,
                              const std::vector<std::uint8_t>& icmp);
// A whole IPv6 packet (header, hop limit 255, checksummed NS) probing `vip` with `nonce`.
std::vector<std::uint8_t> dad_probe_packet(const asio::ip::address_v6& vip, const nd_nonce& nonce);
// Our unsolicited advertisement for `vip`, echoing `nonce` when it defends against a probe.
nd_message advertisement(const asio::ip::address_v6& vip, const mac_address& mac,
                         std::optional<nd_nonce> nonce = std::nullopt);

class nd_socket {
 public:
  using handler = std::function<void(const nd_message&)>;

  // `on_message` sees every valid NS/NA (hop limit 255) about one of `vips`
  // received on `ifindex` except our own (the socket filter, link_filter.hpp, drops
  // the rest in the kernel), at most frames_per_wakeup per wakeup.
  static result<std::unique_ptr<nd_socket>> open(asio::io_context& io, int ifindex,
                                                 const mac_address& mac,
                                                 const std::vector<asio::ip::address_v6>& vips,
                                                 handler on_message);
  ~nd_socket();

  // Re-attaches the filter for a new VIP set (reload).
  result<void> set_vips(const std::vector<asio::ip::address_v6>& vips);
  const socket_counters& counters() const { return counters_; }

  result<void> advertise(const asio::ip::address_v6& vip,
                         std::optional<nd_nonce> nonce = std::nullopt);
  result<void> probe(const asio::ip::address_v6& vip, const nd_nonce& nonce);
  void close();

 private:
  nd_socket(asio::io_context& io, int icmp_fd, int packet_fd, int ifindex, mac_address mac,
            handler h);
  void do_receive();
  void drain();

  asio::posix::stream_descriptor icmp_;
  int packet_fd_;
  int ifindex_;
  mac_address mac_;
  handler on_message_;
  socket_counters counters_;
};

}  // namespace lbha::heartbeat
