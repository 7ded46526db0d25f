#include "heartbeatd/nd.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace lbha::heartbeat {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

constexpr std::uint8_t option_source_link = 1;
constexpr std::uint8_t option_target_link = 2;
constexpr std::uint8_t option_nonce = 14;  // RFC 7527
constexpr std::uint8_t flag_router = 0x80, flag_solicited = 0x40, flag_override = 0x20;
constexpr std::size_t nd_header = 24;  // type, code, checksum, flags/reserved, target

void put_option(std::vector<std::uint8_t>& b, std::uint8_t type, const std::uint8_t* six) {
  b.push_back(type);
  b.push_back(1);  // length in units of 8 bytes
  b.insert(b.end(), six, six + 6);
}

asio::ip::address_v6 all_nodes() { return asio::ip::make_address_v6("ff02::1"); }

}  // namespace

std::vector<std::uint8_t> encode_nd(const nd_message& m) {
  std::vector<std::uint8_t> b(nd_header, 0);
  b[0] = static_cast<std::uint8_t>(m.type);
  if (m.type == nd_message::kind::advertisement) {
    b[4] = static_cast<std::uint8_t>((m.router ? flag_router : 0) |
                                     (m.solicited ? flag_solicited : 0) |
                                     (m.override_flag ? flag_override : 0));
  }
  const auto target = m.target.to_bytes();
  std::copy(target.begin(), target.end(), b.begin() + 8);
  if (m.link_layer) {
    put_option(b, m.type == nd_message::kind::solicitation ? option_source_link : option_target_link,
               m.link_layer->data());
  }
  if (m.nonce) put_option(b, option_nonce, m.nonce->data());
  return b;
}

result<nd_message> decode_nd(const std::uint8_t* d, std::size_t n) {
  if (n < nd_header) return error(errc::truncated);
  if (d[1] != 0 || (d[0] != 135 && d[0] != 136)) return error(errc::malformed);
  nd_message out;
  out.type = static_cast<nd_message::kind>(d[0]);
  if (out.type == nd_message::kind::advertisement) {
    out.router = d[4] & flag_router;
    out.solicited = d[4] & flag_solicited;
    out.override_flag = d[4] & flag_override;
  }
  asio::ip::address_v6::bytes_type target;
  std::copy(d + 8, d + 24, target.begin());
  out.target = asio::ip::address_v6(target);
  if (out.target.is_multicast()) return error(errc::malformed);
  const std::uint8_t link_option =
      out.type == nd_message::kind::solicitation ? option_source_link : option_target_link;
  for (std::size_t at = nd_header; at < n;) {
    if (n - at < 2) return error(errc::malformed);
    const std::size_t len = d[at + 1] * 8u;
    if (len == 0 || len > n - at) return error(errc::malformed);  // RFC 4861 4.6: 0 is invalid
    if (d[at] == link_option && len >= 8) {
      mac_address mac;
      std::copy(d + at + 2, d + at + 8, mac.begin());
      out.link_layer = mac;
    } else if (d[at] == option_nonce && len >= 8) {
      nd_nonce nonce;
      std::copy(d + at + 2, d + at + 8, nonce.begin());
      out.nonce = nonce;
    }
    at += len;
  }
  return out;
}

asio::ip::address_v6 solicited_node(const asio::ip::address_v6& a) {
  auto b = asio::ip::make_address_v6("ff02::1:ff00:0").to_bytes();
  const auto src = a.to_bytes();
  std::copy(src.begin() + 13, src.end(), b.begin() + 13);
  return asio::ip::address_v6(b);
}

mac_address multicast_mac(const asio::ip::address_v6& group) {
  const auto g = group.to_bytes();
  return {0x33, 0x33, g[12], g[13], g[14], g[15]};
}

std::uint16_t icmpv6_checksum(const asio::ip::address_v6& src, const asio::ip::address_v6& dst,
                              const std::vector<std::uint8_t>& icmp) {
  std::uint32_t sum = 0;
  auto add = [&sum](const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i + 1 < n; i += 2) sum += static_cast<std::uint32_t>(p[i] << 8 | p[i + 1]);
    if (n % 2) sum += static_cast<std::uint32_t>(p[n - 1] << 8);
  };
  const auto s = src.to_bytes(), d = dst.to_bytes();
  add(s.data(), s.size());
  add(d.data(), d.size());
  sum += static_cast<std::uint32_t>(icmp.size());  // upper-layer length (fits 16 bits here)
  sum += IPPROTO_ICMPV6;
  add(icmp.data(), icmp.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

std::vector<std::uint8_t> dad_probe_packet(const asio::ip::address_v6& vip, const nd_nonce& nonce) {
  nd_message ns;
  ns.type = nd_message::kind::solicitation;
  ns.target = vip;
  ns.nonce = nonce;  // no source link-layer option: the source is unspecified (RFC 4861 4.3)
  auto icmp = encode_nd(ns);
  const asio::ip::address_v6 src;  // ::
  const auto dst = solicited_node(vip);
  const std::uint16_t sum = icmpv6_checksum(src, dst, icmp);
  icmp[2] = static_cast<std::uint8_t>(sum >> 8);
  icmp[3] = static_cast<std::uint8_t>(sum);
  std::vector<std::uint8_t> packet{0x60, 0, 0, 0,
                                   static_cast<std::uint8_t>(icmp.size() >> 8),
                                   static_cast<std::uint8_t>(icmp.size()),
                                   IPPROTO_ICMPV6, 255};
  const auto s = src.to_bytes(), d = dst.to_bytes();
  packet.insert(packet.end(), s.begin(), s.end());
  packet.insert(packet.end(), d.begin(), d.end());
  packet.insert(packet.end(), icmp.begin(), icmp.end());
  return packet;
}

nd_message advertisement(const asio::ip::address_v6& vip, const mac_address& mac,
                         std::optional<nd_nonce> nonce) {
  nd_message na;
  na.type = nd_message::kind::advertisement;
  na.target = vip;
  na.override_flag = true;
  na.link_layer = mac;
  na.nonce = nonce;
  return na;
}

result<std::unique_ptr<nd_socket>> nd_socket::open(
    asio::io_context& io, int ifindex, const mac_address& mac,
    const std::vector<asio::ip::address_v6>& vips, handler on_message) {
  int fd = ::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
  if (fd < 0) return last_error();
  if (auto r = attach(fd, nd_filter(vips)); !r) {
    ::close(fd);
    return r.error().prefixed("socket filter");
  }
  if (auto r = count_queue_drops(fd); !r) {
    ::close(fd);
    return r.error();
  }
  icmp6_filter filter;
  ICMP6_FILTER_SETBLOCKALL(&filter);
  ICMP6_FILTER_SETPASS(ND_NEIGHBOR_SOLICIT, &filter);
  ICMP6_FILTER_SETPASS(ND_NEIGHBOR_ADVERT, &filter);
  int hops = 255;  // RFC 4861: receivers drop neighbour discovery with any other hop limit
  int on = 1, off = 0;
  unsigned idx = static_cast<unsigned>(ifindex);
  if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof(idx)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof(off)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on)) != 0 ||
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) != 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  // Send-only (protocol 0 receives nothing): probes with the unspecified source.
  int packet_fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (packet_fd < 0) {
    auto ec = last_error();
    ::close(fd);
    return ec;
  }
  std::unique_ptr<nd_socket> s(
      new nd_socket(io, fd, packet_fd, ifindex, mac, std::move(on_message)));
  s->do_receive();
  return s;
}

nd_socket::nd_socket(asio::io_context& io, int icmp_fd, int packet_fd, int ifindex,
                     mac_address mac, handler h)
    : icmp_(io, icmp_fd), packet_fd_(packet_fd), ifindex_(ifindex), mac_(mac),
      on_message_(std::move(h)) {}

nd_socket::~nd_socket() {
  close();
  ::close(packet_fd_);
}

result<void> nd_socket::set_vips(const std::vector<asio::ip::address_v6>& vips) {
  return attach(icmp_.native_handle(), nd_filter(vips));
}

void nd_socket::close() {
  boost::system::error_code ignored;
  icmp_.close(ignored);
}

result<void> nd_socket::advertise(const asio::ip::address_v6& vip, std::optional<nd_nonce> nonce) {
  const auto b = encode_nd(advertisement(vip, mac_, nonce));
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_scope_id = static_cast<unsigned>(ifindex_);
  const auto group = all_nodes().to_bytes();
  std::copy(group.begin(), group.end(), reinterpret_cast<std::uint8_t*>(&to.sin6_addr));
  // The kernel fills in the checksum of raw ICMPv6 packets.
  if (::sendto(icmp_.native_handle(), b.data(), b.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to)) < 0)
    return last_error();
  return success();
}

result<void> nd_socket::probe(const asio::ip::address_v6& vip, const nd_nonce& nonce) {
  const auto packet = dad_probe_packet(vip, nonce);
  const auto mac = multicast_mac(solicited_node(vip));
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_IPV6);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::copy(mac.begin(), mac.end(), to.sll_addr);
  if (::sendto(packet_fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to)) < 0)
    return last_error();
  return success();
}

void nd_socket::do_receive() {
  icmp_.async_wait(asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                     if (!ec) drain();  // else closed
                   });
}

void nd_socket::drain() {
  if (!icmp_.is_open()) return;
  std::array<std::uint8_t, 1500> buf;
  alignas(cmsghdr) std::array<std::uint8_t, 256> control;
  for (int budget = frames_per_wakeup; budget > 0; --budget) {
    sockaddr_in6 from{};
    msghdr msg{};
    const ssize_t n =
        receive_frame(icmp_.native_handle(), buf, &from, sizeof(from), control, msg, counters_);
    if (n < 0) return do_receive();  // EAGAIN: drained
    int hop_limit = -1, ifindex = -1;
    for (auto* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_IPV6) continue;
      if (c->cmsg_type == IPV6_HOPLIMIT) std::memcpy(&hop_limit, CMSG_DATA(c), sizeof(int));
      if (c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info;
        std::memcpy(&info, CMSG_DATA(c), sizeof(info));
        ifindex = static_cast<int>(info.ipi6_ifindex);
      }
    }
    if (hop_limit != 255 || ifindex != ifindex_) {  // off-link or another interface
      ++counters_.ignored;
      continue;
    }
    auto decoded = decode_nd(buf.data(), static_cast<std::size_t>(n));
    if (!decoded) {
      ++counters_.ignored;
      continue;
    }
    nd_message m = std::move(decoded).value();
    asio::ip::address_v6::bytes_type src;
    std::copy_n(reinterpret_cast<const std::uint8_t*>(&from.sin6_addr), 16, src.begin());
    m.source = asio::ip::address_v6(src);
    if (m.link_layer && *m.link_layer == mac_) continue;  // our own
    on_message_(m);
  }
  // Budget spent: the next batch goes behind whatever is ready (see arp_socket::drain).
  ++counters_.budget_yields;
  asio::post(icmp_.get_executor(), [this] { drain(); });
}

}  // namespace lbha::heartbeat
