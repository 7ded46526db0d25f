#include "heartbeatd/arp.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace lbha::heartbeat {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

constexpr mac_address broadcast_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

}  // namespace

std::string to_string(const mac_address& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

std::array<std::uint8_t, 28> encode_arp(const arp_packet& p) {
  std::array<std::uint8_t, 28> b{};
  b[0] = 0x00, b[1] = 0x01;  // Ethernet
  b[2] = 0x08, b[3] = 0x00;  // IPv4
  b[4] = 6, b[5] = 4;
  b[6] = static_cast<std::uint8_t>(p.op >> 8), b[7] = static_cast<std::uint8_t>(p.op);
  std::copy(p.sender_mac.begin(), p.sender_mac.end(), b.begin() + 8);
  auto sip = p.sender_ip.to_bytes();
  std::copy(sip.begin(), sip.end(), b.begin() + 14);
  std::copy(p.target_mac.begin(), p.target_mac.end(), b.begin() + 18);
  auto tip = p.target_ip.to_bytes();
  std::copy(tip.begin(), tip.end(), b.begin() + 24);
  return b;
}

result<arp_packet> decode_arp(const std::uint8_t* d, std::size_t n) {
  if (n < 28) return error(errc::truncated);
  if (d[0] != 0 || d[1] != 1 || d[2] != 0x08 || d[3] != 0 || d[4] != 6 || d[5] != 4)
    return error(errc::malformed);
  arp_packet out;
  out.op = static_cast<std::uint16_t>(d[6] << 8 | d[7]);
  std::copy(d + 8, d + 14, out.sender_mac.begin());
  asio::ip::address_v4::bytes_type ip;
  std::copy(d + 14, d + 18, ip.begin());
  out.sender_ip = asio::ip::address_v4(ip);
  std::copy(d + 18, d + 24, out.target_mac.begin());
  std::copy(d + 24, d + 28, ip.begin());
  out.target_ip = asio::ip::address_v4(ip);
  return out;
}

arp_packet gratuitous(const asio::ip::address_v4& vip, const mac_address& mac, bool reply_mode) {
  arp_packet p;
  p.op = reply_mode ? 2 : 1;
  p.sender_mac = mac;
  p.sender_ip = vip;
  p.target_mac = reply_mode ? broadcast_mac : mac_address{};
  p.target_ip = vip;
  return p;
}

arp_packet probe(const asio::ip::address_v4& vip, const mac_address& mac) {
  arp_packet p;
  p.op = 1;
  p.sender_mac = mac;
  p.sender_ip = asio::ip::address_v4::any();
  p.target_ip = vip;
  return p;
}

result<std::unique_ptr<arp_socket>> arp_socket::open(
    asio::io_context& io, int ifindex, const std::vector<asio::ip::address_v4>& vips,
    handler on_packet) {
  int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
  if (fd < 0) return last_error();
  // The filter before the bind, so no unfiltered frame is ever queued for us.
  if (auto r = attach(fd, arp_filter(vips)); !r) {
    ::close(fd);
    return r.error().prefixed("socket filter");
  }
  if (auto r = count_queue_drops(fd); !r) {
    ::close(fd);
    return r.error();
  }
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  ifreq ifr{};
  if (!::if_indextoname(static_cast<unsigned>(ifindex), ifr.ifr_name) ||
      ::ioctl(fd, SIOCGIFHWADDR, &ifr) != 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  mac_address mac;
  std::memcpy(mac.data(), ifr.ifr_hwaddr.sa_data, mac.size());
  std::unique_ptr<arp_socket> s(new arp_socket(io, fd, ifindex, mac, std::move(on_packet)));
  s->do_receive();
  return s;
}

arp_socket::arp_socket(asio::io_context& io, int fd, int ifindex, mac_address mac, handler h)
    : socket_(io, fd), ifindex_(ifindex), mac_(mac), on_packet_(std::move(h)) {}

arp_socket::~arp_socket() { close(); }

result<void> arp_socket::set_vips(const std::vector<asio::ip::address_v4>& vips) {
  return attach(socket_.native_handle(), arp_filter(vips));
}

void arp_socket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

result<void> arp_socket::send(const arp_packet& p) {
  auto bytes = encode_arp(p);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, broadcast_mac.data(), 6);
  if (::sendto(socket_.native_handle(), bytes.data(), bytes.size(), 0,
               reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0)
    return last_error();
  return success();
}

void arp_socket::do_receive() {
  socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                     [this](const boost::system::error_code& ec) {
                       if (!ec) drain();  // else closed
                     });
}

void arp_socket::drain() {
  if (!socket_.is_open()) return;
  std::array<std::uint8_t, 512> buf;
  alignas(cmsghdr) std::array<std::uint8_t, 64> control;
  for (int budget = frames_per_wakeup; budget > 0; --budget) {
    sockaddr_ll from{};
    msghdr msg{};
    const ssize_t n =
        receive_frame(socket_.native_handle(), buf, &from, sizeof(from), control, msg, counters_);
    if (n < 0) return do_receive();  // EAGAIN: drained
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    auto decoded = decode_arp(buf.data(), static_cast<std::size_t>(n));
    if (!decoded || decoded.value().sender_mac == mac_) {
      ++counters_.ignored;
      continue;
    }
    on_packet_(decoded.value());
  }
  // Budget spent: queue the next batch behind whatever is ready (the heartbeat timer)
  // rather than loop. Not a wait: epoll is edge-triggered and the frames are queued already.
  ++counters_.budget_yields;
  asio::post(socket_.get_executor(), [this] { drain(); });
}

}  // namespace lbha::heartbeat
