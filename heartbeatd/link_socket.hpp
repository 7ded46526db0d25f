// link_socket: ARP and IPv6 neighbour discovery on the VIP interface, the
// packet-socket seam of heartbeatd.
//
// The announcer sends gratuitous ARP and unsolicited advertisements through
// it; the prober sends ARP and DAD probes, defends, and watches for conflicts
// on what it receives. packet_link is the real one (arp_socket + nd_socket);
// the test double (tests/heartbeatd/doubles.hpp) records what is sent and lets
// a test deliver packets "from the LAN".
//
// It is LAN-facing and read on the real-time thread, so it delivers only what
// concerns the VIPs set with set_vips() (the kernel's socket filters,
// link_filter.hpp; none before the first set_vips) and reads a bounded batch
// per wakeup; counters() says what it dropped or deferred.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "heartbeatd/arp.hpp"
#include "heartbeatd/nd.hpp"
#include "heartbeatd/vip_addresses.hpp"

namespace lbha::heartbeat {

// What a link_socket delivers: packets from other hosts only (our own are filtered).
struct link_handlers {
  std::function<void(const arp_packet&)> on_arp;
  std::function<void(const nd_message&)> on_nd;
};

struct link_counters {
  socket_counters arp;
  socket_counters nd;
};

class link_socket {
 public:
  virtual ~link_socket() = default;

  virtual const mac_address& mac() const = 0;
  // The VIPs whose ARP / neighbour discovery reaches the handlers (start, reload).
  virtual result<void> set_vips(const std::vector<ip_address>& vips) = 0;
  virtual link_counters counters() const = 0;
  virtual result<void> send_arp(const arp_packet& p) = 0;  // broadcast
  // Success when IPv6 neighbour discovery is usable; else why not (no ICMPv6 socket).
  virtual result<void> nd_ready() const = 0;
  virtual result<void> advertise(const asio::ip::address_v6& vip,
                                 std::optional<nd_nonce> nonce = std::nullopt) = 0;
  virtual result<void> probe_nd(const asio::ip::address_v6& vip, const nd_nonce& nonce) = 0;
  virtual void close() = 0;
};

// The kernel's: an AF_PACKET ARP socket and, when it can be opened, the ND sockets.
class packet_link final : public link_socket {
 public:
  static result<std::unique_ptr<link_socket>> open(asio::io_context& io, int ifindex,
                                                   link_handlers handlers);

  const mac_address& mac() const override { return arp_->mac(); }
  result<void> set_vips(const std::vector<ip_address>& vips) override;
  link_counters counters() const override;
  result<void> send_arp(const arp_packet& p) override { return arp_->send(p); }
  result<void> nd_ready() const override;
  result<void> advertise(const asio::ip::address_v6& vip,
                         std::optional<nd_nonce> nonce = std::nullopt) override;
  result<void> probe_nd(const asio::ip::address_v6& vip, const nd_nonce& nonce) override;
  void close() override;

 private:
  std::unique_ptr<arp_socket> arp_;
  std::unique_ptr<nd_socket> nd_;
  error nd_error_;
};

}  // namespace lbha::heartbeat
