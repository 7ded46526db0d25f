#include "heartbeatd/pinger.hpp"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace lbha::heartbeat {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

std::uint16_t checksum(const std::uint8_t* d, std::size_t n) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < n; i += 2)
    sum += static_cast<std::uint32_t>(d[i] << 8 | d[i + 1]);
  if (n % 2) sum += static_cast<std::uint32_t>(d[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

}  // namespace

pinger::pinger(asio::io_context& io, std::vector<ping_target> targets,
               std::chrono::milliseconds round, std::function<void(bool)> on_change, int rise,
               int fall)
    : io_(io),
      targets_(std::move(targets)),
      round_(round),
      on_change_(std::move(on_change)),
      tracker_(rise, fall),
      timer_(io),
      ident_(static_cast<std::uint16_t>(::getpid())) {}

pinger::~pinger() { stop(); }

result<void> pinger::open_icmp(bool v6) {
  const int family = v6 ? AF_INET6 : AF_INET;
  const int proto = v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  icmp_socket s;
  s.v6 = v6;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) return last_error();
    s.raw = true;
  }
  s.fd = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
  (v6 ? v6_ : v4_) = std::move(s);
  do_receive(*(v6 ? v6_ : v4_));
  return success();
}

result<void> pinger::start() {
  for (const auto& t : targets_) {
    if (t.tcp) continue;
    if (t.address.is_v4() && !v4_) {
      if (auto r = open_icmp(false); !r) return r;
    }
    if (t.address.is_v6() && !v6_) {
      if (auto r = open_icmp(true); !r) return r;
    }
  }
  do_round();
  return success();
}

void pinger::stop() {
  stopped_ = true;
  timer_.cancel();
  boost::system::error_code ignored;
  for (auto* s : {&v4_, &v6_})
    if (*s) (*s)->fd->close(ignored);
  for (auto& c : connects_) c->close(ignored);
  connects_.clear();
}

void pinger::do_round() {
  if (stopped_) return;
  ++seq_;
  answered_ = false;
  for (const auto& t : targets_) {
    if (!t.tcp) {
      auto& s = t.address.is_v4() ? v4_ : v6_;
      if (s) send_echo(*s, t);
      continue;
    }
    auto sock = std::make_shared<asio::ip::tcp::socket>(io_);
    connects_.push_back(sock);
    const auto round = seq_;
    sock->async_connect({t.address, t.port}, [this, sock, round](boost::system::error_code ec) {
      // Connected or refused: something on that host answered.
      if (round == seq_ && (!ec || ec == asio::error::connection_refused)) answered_ = true;
      boost::system::error_code ignored;
      sock->close(ignored);
    });
  }
  timer_.expires_after(round_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    finish_round();
    do_round();
  });
}

void pinger::finish_round() {
  boost::system::error_code ignored;
  for (auto& c : connects_) c->close(ignored);  // a connect still pending counts as lost
  connects_.clear();
  if (auto changed = tracker_.record(answered_)) on_change_(*changed);
}

void pinger::send_echo(icmp_socket& s, const ping_target& t) {
  std::uint8_t b[16] = {};
  b[0] = s.v6 ? 128 : 8;  // echo request
  b[4] = static_cast<std::uint8_t>(ident_ >> 8), b[5] = static_cast<std::uint8_t>(ident_);
  b[6] = static_cast<std::uint8_t>(seq_ >> 8), b[7] = static_cast<std::uint8_t>(seq_);
  std::memcpy(b + 8, "lbha-png", 8);
  if (!s.v6) {
    auto sum = checksum(b, sizeof(b));  // ICMPv6 checksums are the kernel's job
    b[2] = static_cast<std::uint8_t>(sum >> 8), b[3] = static_cast<std::uint8_t>(sum);
  }
  sockaddr_storage to{};
  socklen_t len;
  if (t.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    auto bytes = t.address.to_v4().to_bytes();
    std::memcpy(&sin->sin_addr, bytes.data(), 4);
    len = sizeof(sockaddr_in);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    auto bytes = t.address.to_v6().to_bytes();
    std::memcpy(&sin6->sin6_addr, bytes.data(), 16);
    len = sizeof(sockaddr_in6);
  }
  // A failed send (no route, link down) is simply an unanswered echo.
  (void)::sendto(s.fd->native_handle(), b, sizeof(b), 0, reinterpret_cast<sockaddr*>(&to), len);
}

void pinger::do_receive(icmp_socket& s) {
  s.fd->async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, &s](boost::system::error_code ec) {
                     if (ec || stopped_) return;
                     std::uint8_t buf[1500];
                     for (;;) {
                       sockaddr_storage from{};
                       socklen_t len = sizeof(from);
                       ssize_t n = ::recvfrom(s.fd->native_handle(), buf, sizeof(buf), 0,
                                              reinterpret_cast<sockaddr*>(&from), &len);
                       if (n < 0) break;
                       const std::uint8_t* icmp = buf;
                       std::size_t size = static_cast<std::size_t>(n);
                       if (s.raw && !s.v6) {  // raw IPv4 sockets deliver the IP header too
                         std::size_t ihl = (buf[0] & 0x0f) * 4u;
                         if (size < ihl) continue;
                         icmp += ihl;
                         size -= ihl;
                       }
                       if (size < 8) continue;
                       const std::uint8_t reply = s.v6 ? 129 : 0;
                       const std::uint16_t id = static_cast<std::uint16_t>(icmp[4] << 8 | icmp[5]);
                       const std::uint16_t seq = static_cast<std::uint16_t>(icmp[6] << 8 | icmp[7]);
                       // Ping sockets rewrite the identifier; raw ones keep ours.
                       if (icmp[0] == reply && seq == seq_ && (!s.raw || id == ident_))
                         answered_ = true;
                     }
                     do_receive(s);
                   });
}

}  // namespace lbha::heartbeat
