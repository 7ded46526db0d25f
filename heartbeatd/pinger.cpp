#include "heartbeatd/pinger.hpp"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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
  s.ident = ident_;
  int fd = ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd >= 0) {
    // A ping socket: bind now so the kernel picks our identifier, which it matches on
    // receive and rewrites into every echo we send.
    sockaddr_storage local{};
    local.ss_family = static_cast<sa_family_t>(family);
    socklen_t len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), len) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) {
      auto ec = last_error();
      ::close(fd);
      return ec;
    }
    s.ident = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  } else {
    fd = ::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
    if (fd < 0) return last_error();
    s.raw = true;
  }
  std::vector<asio::ip::address_v4> sources;
  for (const auto& t : targets_)
    if (!t.tcp && t.address.is_v4()) sources.push_back(t.address.to_v4());
  const auto filter =
      v6 ? echo_reply_filter_v6(s.raw, ident_) : echo_reply_filter_v4(s.raw, ident_, sources);
  if (auto r = attach(fd, filter); !r) {
    ::close(fd);
    return r.error().prefixed("socket filter");
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

bool pinger::from_ping_node(const sockaddr_storage& from) const {
  asio::ip::address a;
  if (from.ss_family == AF_INET) {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, 4);
    a = asio::ip::address_v4(b);
  } else if (from.ss_family == AF_INET6) {
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr, 16);
    a = asio::ip::address_v6(b);
  } else {
    return false;
  }
  return std::any_of(targets_.begin(), targets_.end(),
                     [&a](const ping_target& t) { return !t.tcp && t.address == a; });
}

void pinger::do_receive(icmp_socket& s) {
  s.fd->async_wait(asio::posix::stream_descriptor::wait_read,
                   [this, &s](boost::system::error_code ec) {
                     if (!ec && !stopped_) drain(s);
                   });
}

void pinger::drain(icmp_socket& s) {
  if (stopped_ || !s.fd->is_open()) return;
  std::uint8_t buf[1500];
  for (int budget = frames_per_wakeup; budget > 0; --budget) {
    sockaddr_storage from{};
    socklen_t len = sizeof(from);
    ssize_t n = ::recvfrom(s.fd->native_handle(), buf, sizeof(buf), 0,
                           reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) return do_receive(s);  // EAGAIN: drained
    const std::uint8_t* icmp = buf;
    std::size_t size = static_cast<std::size_t>(n);
    if (s.raw && !s.v6) {  // raw IPv4 sockets deliver the IP header too
      std::size_t ihl = (buf[0] & 0x0f) * 4u;
      if (size < ihl) {
        ++counters_.ignored;
        continue;
      }
      icmp += ihl;
      size -= ihl;
    }
    const std::uint8_t reply = s.v6 ? 129 : 0;
    const bool ours =
        size >= 16 && icmp[0] == reply && from_ping_node(from) &&
        static_cast<std::uint16_t>(icmp[4] << 8 | icmp[5]) == s.ident &&
        static_cast<std::uint16_t>(icmp[6] << 8 | icmp[7]) == seq_ &&
        std::memcmp(icmp + 8, "lbha-png", 8) == 0;
    if (ours) answered_ = true;
    else ++counters_.ignored;  // another host's reply, a forgery, or a late round's
  }
  ++counters_.budget_yields;  // the next batch goes behind the ready timers
  asio::post(io_, [this, &s] { drain(s); });
}

}  // namespace lbha::heartbeat
