#include "proxy/session.hpp"

#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/logging.hpp"

namespace lbha::proxy {

namespace {

constexpr std::size_t splice_chunk = 1 << 16;
constexpr std::size_t max_attempts = 3;

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

session::session(worker& w, asio::ip::tcp::socket client, asio::ip::tcp::endpoint peer,
                 std::shared_ptr<virtual_service_state> service, std::uint16_t vip_port)
    : worker_(w),
      client_(std::move(client)),
      server_socket_(w.io()),
      timer_(w.io()),
      service_(std::move(service)),
      client_key_(client_key::from(peer.address())),
      vip_port_(vip_port) {
  w.sessions().push_back(*this);
}

session::~session() {
  worker_.pipes().give(up_.pipe, up_.in_pipe == 0);
  worker_.pipes().give(down_.pipe, down_.in_pipe == 0);
  worker_.buffers().give(std::move(up_.buffer));
  worker_.buffers().give(std::move(down_.buffer));
}

void session::start() {
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
  boost::system::error_code ec;
  client_.native_non_blocking(true, ec);
  set_nodelay(client_.native_handle());
  connect_next();
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
  boost::system::error_code ec;
  server_socket_ = asio::ip::tcp::socket(worker_.io());
  // Opened by Asio rather than assigned: an assigned descriptor may be a
  // dup, so Asio would pay an epoll_ctl(DEL) at close. One ioctl makes it
  // non-blocking, which Asio would otherwise do at the first wait anyway.
  server_socket_.open(target.protocol(), ec);
  if (!ec) server_socket_.native_non_blocking(true, ec);
  if (ec) {
    on_connect(ec);
    return;
  }
  const int fd = server_socket_.native_handle();
  set_nodelay(fd);
  const auto& source = worker_.context().source_address;
  if (source && source->is_v4() == target.address().is_v4()) {
    // Defer the source port choice to connect(), so the 4-tuple, not the
    // port alone, must be unique: many more connections per real server.
    const int one = 1;
    ::setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    server_socket_.bind(asio::ip::tcp::endpoint(*source, 0), ec);
    if (ec) {
      on_connect(ec);
      return;
    }
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
  // round through the reactor.
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, 0) == 1) {
    // Writable without error or hang-up: established (a refused connect
    // shows POLLERR | POLLHUP), so SO_ERROR need not be asked.
    on_connect((p.revents & (POLLERR | POLLHUP)) ? connect_result() : boost::system::error_code());
    return;
  }
  arm_timer(std::chrono::steady_clock::now() + pool_->settings.connect_timeout);
  server_socket_.async_wait(asio::socket_base::wait_write,
                            [self = shared_from_this()](boost::system::error_code e) {
                              if (e == asio::error::operation_aborted &&
                                  self->phase_ == phase::connecting && !self->server_socket_.is_open()) {
                                // Closed by the connect timer.
                                e = asio::error::timed_out;
                              } else if (e == asio::error::operation_aborted) {
                                return;
                              }
                              self->on_connect(e ? e : self->connect_result());
                            });
}

boost::system::error_code session::connect_result() {
  int error = 0;
  socklen_t len = sizeof error;
  if (::getsockopt(server_socket_.native_handle(), SOL_SOCKET, SO_ERROR, &error, &len) != 0) {
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

void session::on_connect(const boost::system::error_code& ec) {
  if (phase_ == phase::closed) return;
  if (ec) {
    boost::system::error_code ignored;
    server_socket_.close(ignored);
    release_server();
    connect_next();
    return;
  }
  server_->stats.total.fetch_add(1, std::memory_order_relaxed);
  phase_ = phase::relaying;
  last_activity_ = std::chrono::steady_clock::now();
  arm_timer(last_activity_ + pool_->settings.client_timeout);
  pump(true);
  if (phase_ != phase::closed) pump(false);
}

void session::wait_readable(bool upstream) {
  auto& in = upstream ? client_ : server_socket_;
  in.async_wait(asio::socket_base::wait_read,
                [self = shared_from_this(), upstream](boost::system::error_code ec) {
                  if (!ec) self->pump(upstream);
                });
}

void session::arm_timer(std::chrono::steady_clock::time_point at) {
  timer_.expires_at(at);
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) { self->on_timer(ec); });
}

void session::on_timer(const boost::system::error_code& ec) {
  if (ec || phase_ == phase::closed) return;
  const auto now = std::chrono::steady_clock::now();
  if (phase_ == phase::connecting) {
    if (timer_.expiry() > now) return;
    // Closing the socket completes the pending connect with an error, which
    // moves on to the next server.
    boost::system::error_code ignored;
    server_socket_.close(ignored);
    return;
  }
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
  auto& in = upstream ? client_ : server_socket_;
  auto& out = upstream ? server_socket_ : client_;
  if (d.done || phase_ != phase::relaying) return;
  for (;;) {
    if (d.in_pipe > 0) {
      const ssize_t m = ::splice(d.pipe.read_end, nullptr, out.native_handle(), nullptr, d.in_pipe,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (m > 0) {
        d.in_pipe -= static_cast<std::size_t>(m);
        continue;
      }
      if (m < 0 && errno == EINTR) continue;
      if (m < 0 && errno == EAGAIN) {
        out.async_wait(asio::socket_base::wait_write,
                       [self = shared_from_this(), upstream](boost::system::error_code ec) {
                         if (!ec) self->pump(upstream);
                       });
        return;
      }
      close();  // the receiving side reset or vanished
      return;
    }
    if (d.eof) {
      d.done = true;
      if (up_.done && down_.done) {
        close();
        return;
      }
      // Everything read has been passed on: pass the half-close on too.
      ::shutdown(out.native_handle(), SHUT_WR);
      return;
    }
    if (!d.bulk) {
      receive_small(upstream);
      return;
    }
    if (!take_pipe(d)) return;
    const ssize_t n = ::splice(in.native_handle(), nullptr, d.pipe.write_end, nullptr, splice_chunk,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n > 0) {
      d.in_pipe = static_cast<std::size_t>(n);
      note_read(d.in_pipe, upstream);
      continue;
    }
    if (n == 0) {
      d.eof = true;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      wait_readable(upstream);
      return;
    }
    close();  // reset by the sending side
    return;
  }
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

void session::receive_small(bool upstream) {
  direction& d = upstream ? up_ : down_;
  auto& in = upstream ? client_ : server_socket_;
  if (!d.buffer) d.buffer = worker_.buffers().take();
  // A real receive, not a readiness wait: Asio tries it at once and, when the
  // socket turns out drained, waits on the edge without re-arming epoll (a
  // plain wait costs an epoll_ctl MOD per message, which is dearer than the
  // failed recv).
  in.async_receive(asio::buffer(d.buffer.get(), buffer_pool::size),
                   [self = shared_from_this(), upstream](boost::system::error_code ec,
                                                         std::size_t n) {
                     self->on_small(upstream, ec, n);
                   });
}

void session::on_small(bool upstream, const boost::system::error_code& ec, std::size_t n) {
  if (phase_ != phase::relaying) return;
  direction& d = upstream ? up_ : down_;
  if (ec == asio::error::eof) {
    d.eof = true;
    pump(upstream);
    return;
  }
  if (ec) {
    if (ec != asio::error::operation_aborted) close();
    return;
  }
  note_read(n, upstream);
  auto& out = upstream ? server_socket_ : client_;
  ssize_t m = ::send(out.native_handle(), d.buffer.get(), n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (m < 0) {
    if (errno != EAGAIN && errno != EINTR) {
      close();
      return;
    }
    m = 0;
  }
  if (static_cast<std::size_t>(m) < n) {
    // Park the rest in the (empty, 64 KiB) pipe; pump() flushes it.
    if (!take_pipe(d)) return;
    const auto rest = n - static_cast<std::size_t>(m);
    if (::write(d.pipe.write_end, d.buffer.get() + m, rest) != static_cast<ssize_t>(rest)) {
      close();
      return;
    }
    d.in_pipe = rest;
  }
  // A full buffer means a bulk transfer: splice from now on.
  if (n == buffer_pool::size) d.bulk = true;
  pump(upstream);
}

void session::note_read(std::size_t n, bool upstream) {
  last_activity_ = std::chrono::steady_clock::now();
  waiting_on_server_ = upstream;
  // The timer is re-armed lazily when it fires, which is only correct while
  // deadlines move later; with unequal client and server timeouts a switch
  // of direction can pull the deadline in.
  const auto deadline =
      last_activity_ + (upstream ? pool_->settings.server_timeout : pool_->settings.client_timeout);
  if (deadline < timer_.expiry()) arm_timer(deadline);
  auto& bytes = upstream ? service_->stats.bytes_in : service_->stats.bytes_out;
  bytes.fetch_add(n, std::memory_order_relaxed);
  auto& server_bytes = upstream ? server_->stats.bytes_in : server_->stats.bytes_out;
  server_bytes.fetch_add(n, std::memory_order_relaxed);
}

void session::close() {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  boost::system::error_code ignored;
  client_.close(ignored);
  server_socket_.close(ignored);
  timer_.cancel();
  release_server();
  service_->stats.current.fetch_sub(1, std::memory_order_relaxed);
  unlink();
}

}  // namespace lbha::proxy
