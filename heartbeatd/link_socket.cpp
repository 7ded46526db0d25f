#include "heartbeatd/link_socket.hpp"

namespace lbha::heartbeat {

result<std::unique_ptr<link_socket>> packet_link::open(asio::io_context& io, int ifindex,
                                                       link_handlers handlers) {
  auto arp = arp_socket::open(io, ifindex, {}, handlers.on_arp);
  if (!arp) return arp.error().prefixed("ARP socket");
  std::unique_ptr<packet_link> link(new packet_link);
  link->arp_ = std::move(arp.value());
  // Opened whenever it can be, so a reload that adds the first IPv6 VIP can announce and
  // probe it; without it only IPv6 VIPs are refused (the daemon checks nd_ready()).
  auto nd = nd_socket::open(io, ifindex, link->arp_->mac(), {}, handlers.on_nd);
  if (nd) link->nd_ = std::move(nd.value());
  else link->nd_error_ = nd.error().prefixed("ICMPv6 socket");
  return std::unique_ptr<link_socket>(std::move(link));
}

result<void> packet_link::set_vips(const std::vector<ip_address>& vips) {
  std::vector<asio::ip::address_v4> v4;
  std::vector<asio::ip::address_v6> v6;
  for (const auto& v : vips) {
    if (v.is_v4()) v4.push_back(v.to_v4());
    else v6.push_back(v.to_v6());
  }
  if (auto r = arp_->set_vips(v4); !r) return r.error().prefixed("ARP socket filter");
  if (nd_) {
    if (auto r = nd_->set_vips(v6); !r) return r.error().prefixed("ICMPv6 socket filter");
  }
  return success();
}

link_counters packet_link::counters() const {
  link_counters c;
  c.arp = arp_->counters();
  if (nd_) c.nd = nd_->counters();
  return c;
}

result<void> packet_link::nd_ready() const {
  if (nd_) return success();
  return nd_error_;
}

result<void> packet_link::advertise(const asio::ip::address_v6& vip,
                                    std::optional<nd_nonce> nonce) {
  if (!nd_) return nd_error_;
  return nd_->advertise(vip, nonce);
}

result<void> packet_link::probe_nd(const asio::ip::address_v6& vip, const nd_nonce& nonce) {
  if (!nd_) return nd_error_;
  return nd_->probe(vip, nonce);
}

void packet_link::close() {
  arp_->close();
  if (nd_) nd_->close();
}

}  // namespace lbha::heartbeat
