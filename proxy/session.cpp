#include "proxy/session.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/logging.hpp"
#include "proxy/handover.hpp"
#include "proxy/transparent.hpp"

namespace lbha::proxy {

namespace {

constexpr std::size_t splice_chunk = 1 << 16;
constexpr std::size_t max_attempts = 3;

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

session::session(worker& w, int client_fd, asio::ip::tcp::endpoint peer,
                 std::shared_ptr<virtual_service_state> service, std::uint16_t vip_port)
    : worker_(w),
      service_(std::move(service)),
      peer_(peer),
      client_key_(client_key::from(peer.address())),
      vip_port_(vip_port) {
  client_.fd = client_fd;
  w.sessions().push_back(*this);
}

session::~session() {
  if (client_.fd >= 0) ::close(client_.fd);
  if (server_side_.fd >= 0) ::close(server_side_.fd);
  worker_.pipes().give(up_.pipe, up_.in_pipe == 0);
  worker_.pipes().give(down_.pipe, down_.in_pipe == 0);
  worker_.buffers().give(std::move(up_.buffer));
  worker_.buffers().give(std::move(down_.buffer));
}

void session::start() {
  self_ = shared_from_this();
  // Counted in `current` before the limit check, so that workers accepting at
  // the same time cannot both take the last slot.
  const auto open = service_->stats.current.fetch_add(1, std::memory_order_relaxed) + 1;
  pool_ = service_->current();
  const auto max = pool_->settings.max_connections;
  if (max && open > max) {
    // Over the service's limit: closed at once, before any real server is
    // chosen, and not counted in `total`.
    close();
    return;
  }
  service_->stats.total.fetch_add(1, std::memory_order_relaxed);
  // TCP_NODELAY comes from the listening socket.
  // Watched from now on: a request sent before the server is connected only
  // leaves `readable` set, and is read once relaying starts.
  if (!worker_.loop().watch(client_.fd, &client_)) {
    close();
    return;
  }
  connect_next();
}

void session::on_ready(side& s, std::uint32_t events) {
  if (phase_ == phase::closed) return;
  const bool in = events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR);
  const bool out = events & (EPOLLOUT | EPOLLHUP | EPOLLERR);
  // Recorded even while connecting: a client that sent its request and a FIN
  // before the server answered gets no further edge.
  if (in) s.readable = true;
  if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) s.hung_up = true;
  if (out) s.writable = true;
  if (phase_ == phase::connecting) {
    if (s.server && out) on_connect(connect_result());
    return;
  }
  // The client side feeds the upstream direction and drains the downstream one.
  if (in) pump(!s.server);
  if (out && phase_ == phase::relaying) pump(s.server);
}

void session::connect_next() {
  if (attempts_ < max_attempts) {
    server_ = pool_->select(client_key_, *worker_.context().table,
                            std::span<const real_server_state* const>(tried_.data(), attempts_));
  } else {
    server_ = nullptr;
  }
  if (!server_ && pool_->fallback && !used_fallback_) {
    used_fallback_ = true;
    server_ = pool_->fallback;
    server_->stats.current.fetch_add(1, std::memory_order_relaxed);
  }
  if (!server_) {
    // Every server is down, halted or already tried: close the client now
    // rather than leave it hanging.
    close();
    return;
  }
  if (attempts_ < tried_.size()) tried_[attempts_] = server_.get();
  ++attempts_;

  const auto target = server_->endpoint(vip_port_);
  const int fd = ::socket(target.address().is_v4() ? AF_INET : AF_INET6,
                          SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    on_connect(boost::system::error_code(errno, boost::system::system_category()));
    return;
  }
  server_side_.fd = fd;
  // Watched before connect(), so whatever the server sends first (a banner)
  // makes an edge: no read is needed to find it.
  server_side_.readable = false;
  server_side_.writable = true;
  server_side_.hung_up = false;
  set_nodelay(fd);
  const auto& source = worker_.context().source_address;
  if (pool_->settings.transparent && server_ != pool_->fallback) {
    // config::validate keeps a transparent service's real servers in the
    // VIP's family, the client's.
    if (auto bound = bind_transparent(fd, peer_.address()); !bound) {
      refuse_transparent(bound.error());
      return;
    }
  } else if (source && source->is_v4() == target.address().is_v4()) {
    // Defer the source port choice to connect(), so the 4-tuple, not the
    // port alone, must be unique: many more connections per real server.
    const int one = 1;
    ::setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const asio::ip::tcp::endpoint from(*source, 0);
    if (::bind(fd, from.data(), static_cast<socklen_t>(from.size())) != 0) {
      on_connect(boost::system::error_code(errno, boost::system::system_category()));
      return;
    }
  }
  if (!worker_.loop().watch(fd, &server_side_)) {
    on_connect(boost::system::error_code(errno, boost::system::system_category()));
    return;
  }
  phase_ = phase::connecting;
  if (::connect(fd, target.data(), static_cast<socklen_t>(target.size())) == 0) {
    on_connect({});
    return;
  }
  if (errno != EINPROGRESS) {
    on_connect(boost::system::error_code(errno, boost::system::system_category()));
    return;
  }
  // A nearby server (loopback, same host) has usually completed the
  // handshake by the time connect() returns: look before paying for a
  // round through the loop.
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 0) == 1) {
    // Writable without error or hang-up: established (a refused connect
    // shows POLLERR | POLLHUP), so SO_ERROR need not be asked.
    on_connect((p.revents & (POLLERR | POLLHUP)) ? connect_result() : boost::system::error_code());
    return;
  }
  // Otherwise the loop reports the outcome (on_ready), or the timer gives up.
  arm_timer(worker_.loop().now() + pool_->settings.connect_timeout);
}

void session::refuse_transparent(const error& why) {
  // No silent fallback to SNAT (HAProxy's choice too): the real server would
  // see proxyd instead of the client it is configured to expect, and its
  // replies would take another route. The client is closed; every server
  // would fail the same way, so no other one is tried.
  const auto n = service_->transparent_failures.fetch_add(1, std::memory_order_relaxed) + 1;
  // The first failure and then one in 1000: a missing capability fails every
  // connection, and the log must not grow with the traffic.
  if (n == 1 || n % 1000 == 0) {
    get_logger("proxy")->error(
        "{}: transparent connection to {} refused, client {} closed ({} so far): {}",
        service_->label(), server_->label(), peer_.address().to_string(), n, why.message());
  }
  close();
}

boost::system::error_code session::connect_result() {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(server_side_.fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
    error = errno;
  }
  return boost::system::error_code(error, boost::system::system_category());
}

void session::release_server() {
  if (server_) {
    server_->stats.current.fetch_sub(1, std::memory_order_relaxed);
    server_ = nullptr;
  }
}

void session::close_server_socket() {
  // Closing also takes it out of the epoll set.
  if (server_side_.fd >= 0) ::close(server_side_.fd);
  server_side_.fd = -1;
}

void session::on_connect(const boost::system::error_code& ec) {
  if (phase_ != phase::connecting) return;
  if (ec) {
    close_server_socket();
    release_server();
    connect_next();
    return;
  }
  const auto& settings = pool_->settings;
  if (settings.send_proxy != proxy_protocol::none && server_ != pool_->fallback) {
    // The first bytes the real server reads. A new connection's send buffer
    // is empty, so the header (at most 104 bytes) is taken whole or not at all.
    const auto header = proxy_header(settings.send_proxy, peer_, {settings.ip, vip_port_});
    const ssize_t sent = ::send(server_side_.fd, header.data(), header.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(header.size())) {
      on_connect(
          boost::system::error_code(sent < 0 ? errno : EIO, boost::system::system_category()));
      return;
    }
  }
  server_->stats.total.fetch_add(1, std::memory_order_relaxed);
  phase_ = phase::relaying;
  last_activity_ = worker_.loop().now();
  arm_timer(last_activity_ + pool_->settings.client_timeout);
  pump(true);
  if (phase_ != phase::closed) pump(false);
}

void session::arm_timer(time_point at) { worker_.loop().schedule(timer_, at); }

void session::on_timer() {
  if (phase_ == phase::closed) return;
  if (phase_ == phase::connecting) {
    on_connect(asio::error::timed_out);  // closes the socket, moves on
    return;
  }
  const auto now = worker_.loop().now();
  const auto& s = pool_->settings;
  const auto deadline = last_activity_ + (waiting_on_server_ ? s.server_timeout : s.client_timeout);
  if (now >= deadline) {
    close();
    return;
  }
  arm_timer(deadline);
}

void session::pump(bool upstream) {
  direction& d = upstream ? up_ : down_;
  side& in = upstream ? client_ : server_side_;
  side& out = upstream ? server_side_ : client_;
  if (d.done || phase_ != phase::relaying) return;
  for (;;) {
    if (d.in_pipe > 0) {
      if (!out.writable) return;  // the next EPOLLOUT edge resumes
      const ssize_t m = ::splice(d.pipe.read_end, nullptr, out.fd, nullptr, d.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m > 0) {
        d.in_pipe -= static_cast<std::size_t>(m);
        continue;
      }
      if (m < 0 && errno == EINTR) continue;
      if (m < 0 && errno == EAGAIN) {
        out.writable = false;
        return;
      }
      close();  // the receiving side reset or vanished
      return;
    }
    if (d.held > 0) return;  // flush_held() resumes
    if (d.eof) {
      d.done = true;
      if (up_.done && down_.done) {
        close();
        return;
      }
      // Everything read has been passed on: pass the half-close on too.
      ::shutdown(out.fd, SHUT_WR);
      return;
    }
    if (!in.readable) return;  // the next EPOLLIN edge resumes
    // Small transfers are received into the buffer; bulk ones spliced into the pipe.
    const bool spliced = d.bulk;
    ssize_t n;
    if (spliced) {
      if (!take_pipe(d)) return;
      n = ::splice(in.fd, nullptr, d.pipe.write_end, nullptr, splice_chunk,
                   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    } else {
      if (!d.buffer) d.buffer = worker_.buffers().take();
      n = ::recv(in.fd, d.buffer.get(), buffer_pool::size, MSG_DONTWAIT);
    }
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      note_read(got, upstream);
      if (spliced) {
        d.in_pipe = got;
        continue;
      }
      // A short read emptied the socket: wait for the next edge rather
      // than read again only to be told EAGAIN.
      if (got < buffer_pool::size && !in.hung_up) in.readable = false;
      // A full buffer means a bulk transfer: splice from now on.
      if (got == buffer_pool::size) d.bulk = true;
      d.held = got;
      worker_.loop().defer([this, upstream] { flush_held(upstream); });
      return;
    }
    if (n == 0) {
      d.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      in.readable = false;
      return;
    }
    close();  // reset by the sending side
    return;
  }
}

void session::flush_held(bool upstream) {
  if (phase_ != phase::relaying) return;
  direction& d = upstream ? up_ : down_;
  side& out = upstream ? server_side_ : client_;
  if (!relay_buffer(d, out, std::exchange(d.held, 0))) return;
  pump(upstream);
}

bool session::relay_buffer(direction& d, side& out, std::size_t n) {
  ssize_t m = out.writable ? ::send(out.fd, d.buffer.get(), n, MSG_NOSIGNAL | MSG_DONTWAIT) : 0;
  if (m < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      close();
      return false;
    }
    m = 0;
  }
  if (static_cast<std::size_t>(m) < n) {
    // Park the rest in the (empty, 64 KiB) pipe; pump() flushes it when the
    // receiver can take more.
    out.writable = false;
    if (!take_pipe(d)) return false;
    const auto rest = n - static_cast<std::size_t>(m);
    if (::write(d.pipe.write_end, d.buffer.get() + m, rest) != static_cast<ssize_t>(rest)) {
      close();
      return false;
    }
    d.in_pipe = rest;
  }
  return true;
}

bool session::take_pipe(direction& d) {
  // Taken only when needed (a bulk transfer, or a send the socket could not
  // take whole): most small keep-alive exchanges never hold one, which
  // spares four descriptors per connection.
  if (d.pipe.valid()) return true;
  d.pipe = worker_.pipes().take();
  if (d.pipe.valid()) return true;
  close();  // out of descriptors
  return false;
}

void session::note_read(std::size_t n, bool upstream) {
  last_activity_ = worker_.loop().now();
  waiting_on_server_ = upstream;
  // The timer is re-armed lazily when it fires, which is only correct while
  // deadlines move later; with unequal client and server timeouts a switch
  // of direction can pull the deadline in.
  const auto deadline =
      last_activity_ + (upstream ? pool_->settings.server_timeout : pool_->settings.client_timeout);
  if (deadline < timer_.deadline()) arm_timer(deadline);
  auto& bytes = upstream ? service_->stats.bytes_in : service_->stats.bytes_out;
  bytes.fetch_add(n, std::memory_order_relaxed);
  auto& server_bytes = upstream ? server_->stats.bytes_in : server_->stats.bytes_out;
  server_bytes.fetch_add(n, std::memory_order_relaxed);
}

void session::close() {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  // Counters first: whoever sees the connection end then sees them updated.
  release_server();
  service_->stats.current.fetch_sub(1, std::memory_order_relaxed);
  worker_.release_load();
  if (client_.fd >= 0) ::close(client_.fd);
  client_.fd = -1;
  close_server_socket();
  worker_.loop().cancel(timer_);
  unlink();
  // The batch of events this may be called from can still hold pointers to
  // our sides: die only after it.
  if (self_) worker_.loop().defer([keep = std::move(self_)] {});
}

bool session::export_direction(direction& d, v1::HandedDirection& out) {
  std::string pending;
  while (d.in_pipe > 0) {
    char chunk[16384];
    const ssize_t n = ::read(d.pipe.read_end, chunk, std::min(sizeof chunk, d.in_pipe));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    pending.append(chunk, static_cast<std::size_t>(n));
    d.in_pipe -= static_cast<std::size_t>(n);
  }
  if (d.held > 0) pending.append(d.buffer.get(), std::exchange(d.held, 0));
  out.set_pending(std::move(pending));
  out.set_eof(d.eof);
  out.set_done(d.done);
  out.set_bulk(d.bulk);
  return true;
}

bool session::import_direction(direction& d, const v1::HandedDirection& in) {
  d.eof = in.eof();
  d.done = in.done();
  d.bulk = in.bulk();
  const auto& pending = in.pending();
  if (pending.empty()) return true;
  // At most one pipe's worth (64 KiB): a session holds either a pipe's
  // bytes or a buffer's, never both. Into a fresh pipe, sent by pump().
  if (!take_pipe(d) || !write_all(d.pipe.write_end, pending)) return false;
  d.in_pipe = pending.size();
  return true;
}

bool session::hand_over(v1::HandedSession& out, std::vector<int>& fds) {
  if (phase_ == phase::closed) return false;
  const auto client_local = local_endpoint(client_.fd);
  if (!client_local) {
    close();
    return false;
  }
  out.set_virtual_service(service_->label());
  out.set_vip_port(vip_port_);
  *out.mutable_client_local() = handed(*client_local);
  *out.mutable_client_peer() = handed(peer_);
  if (phase_ == phase::relaying) {
    const auto server_local = local_endpoint(server_side_.fd);
    const auto server_peer = peer_endpoint(server_side_.fd);
    if (!server_local || !server_peer || !export_direction(up_, *out.mutable_up()) ||
        !export_direction(down_, *out.mutable_down())) {
      close();
      return false;
    }
    *out.mutable_server_local() = handed(*server_local);
    *out.mutable_server_peer() = handed(*server_peer);
    if (used_fallback_ && server_ == pool_->fallback) {
      out.set_fallback(true);
    } else {
      out.set_real_server(server_->label());
    }
    worker_.loop().unwatch(server_side_.fd);
    fds.push_back(std::exchange(server_side_.fd, -1));
  }
  // A session still connecting abandons its server socket (close() below).
  worker_.loop().unwatch(client_.fd);
  fds.push_back(std::exchange(client_.fd, -1));
  close();
  return true;
}

void session::resume(const v1::HandedSession& record, int server_fd,
                     std::shared_ptr<real_server_state> server, bool fallback) {
  self_ = shared_from_this();
  service_->stats.current.fetch_add(1, std::memory_order_relaxed);
  pool_ = service_->current();
  server_ = std::move(server);
  server_->stats.current.fetch_add(1, std::memory_order_relaxed);
  used_fallback_ = fallback;
  tried_[0] = server_.get();
  attempts_ = 1;
  server_side_.fd = server_fd;
  phase_ = phase::relaying;
  last_activity_ = worker_.loop().now();
  if (!worker_.loop().watch(client_.fd, &client_) ||
      !worker_.loop().watch(server_side_.fd, &server_side_) ||
      !import_direction(up_, record.up()) || !import_direction(down_, record.down())) {
    close();
    return;
  }
  arm_timer(last_activity_ + pool_->settings.client_timeout);
  pump(true);
  if (phase_ != phase::closed) pump(false);
}

}  // namespace lbha::proxy
