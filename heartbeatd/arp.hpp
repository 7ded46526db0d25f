// ARP on the VIP interface through an AF_PACKET socket: gratuitous ARP
// (request or reply mode), RFC 5227 probes, and a receiver that reports what
// matters for our VIPs.
//
// Probe semantics. A probe (sender IP 0.0.0.0) for a VIP is answered by the
// kernel of any host that has the address, even when that host's heartbeatd
// has been killed. So the kernel's unicast reply only proves a host is alive.
// A live heartbeatd that holds the VIP *defends* it: it answers a probe with a
// broadcast ARP announcement (sender IP = target IP = VIP). The prober counts
// only such an announcement from another MAC as "the VIP is held": the peer's
// heartbeatd is alive and only the heartbeat path is broken. A crashed peer's
// leftover address therefore does not block the takeover; its heartbeatd
// removes that address when it restarts.
//
// A conflict, while active, is an announcement for one of our VIPs from
// another MAC (a peer taking over or defending behind a broken heartbeat path).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "heartbeatd/errc.hpp"
#include "heartbeatd/link_filter.hpp"

namespace lbha::heartbeat {

using mac_address = std::array<std::uint8_t, 6>;

std::string to_string(const mac_address& mac);

struct arp_packet {
  std::uint16_t op = 0;  // 1 request, 2 reply
  mac_address sender_mac{};
  asio::ip::address_v4 sender_ip;
  mac_address target_mac{};
  asio::ip::address_v4 target_ip;

  bool is_probe() const { return op == 1 && sender_ip.is_unspecified(); }
  bool is_announcement() const { return sender_ip == target_ip && !sender_ip.is_unspecified(); }
};

// 28-byte Ethernet/IPv4 ARP payload. Pure (unit-tested). decode_arp: errc::truncated
// when short, errc::malformed when not Ethernet/IPv4.
std::array<std::uint8_t, 28> encode_arp(const arp_packet& p);
result<arp_packet> decode_arp(const std::uint8_t* data, std::size_t size);

// Gratuitous ARP for `vip` from `mac`: request (RFC 5227 announcement) or reply.
arp_packet gratuitous(const asio::ip::address_v4& vip, const mac_address& mac, bool reply_mode);
// RFC 5227 probe for `vip` from `mac`.
arp_packet probe(const asio::ip::address_v4& vip, const mac_address& mac);

class arp_socket {
 public:
  using handler = std::function<void(const arp_packet&)>;

  // Opens and binds to `ifindex`; `on_packet` sees every ARP packet received
  // from another host about one of `vips` (our own transmissions, and anything
  // else, are filtered out: the kernel's socket filter, link_filter.hpp), at most
  // frames_per_wakeup per wakeup.
  static result<std::unique_ptr<arp_socket>> open(asio::io_context& io, int ifindex,
                                                  const std::vector<asio::ip::address_v4>& vips,
                                                  handler on_packet);
  ~arp_socket();

  // Re-attaches the filter for a new VIP set (reload).
  result<void> set_vips(const std::vector<asio::ip::address_v4>& vips);
  const socket_counters& counters() const { return counters_; }
  result<void> send(const arp_packet& p);  // broadcast
  const mac_address& mac() const { return mac_; }
  void close();

 private:
  arp_socket(asio::io_context& io, int fd, int ifindex, mac_address mac, handler h);
  void do_receive();
  void drain();

  asio::posix::stream_descriptor socket_;
  int ifindex_;
  mac_address mac_;
  handler on_packet_;
  socket_counters counters_;
};

}  // namespace lbha::heartbeat
