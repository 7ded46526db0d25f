#include "proxy/worker.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logging.hpp"
#include "proxy/session.hpp"

namespace lbha::proxy {

namespace {
constexpr std::size_t max_spare_pipes = 256;
}

pipe_pool::~pipe_pool() {
  for (auto& p : spare_) {
    ::close(p.read_end);
    ::close(p.write_end);
  }
}

splice_pipe pipe_pool::take() {
  if (!spare_.empty()) {
    auto p = spare_.back();
    spare_.pop_back();
    return p;
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return {};
  return {fds[0], fds[1]};
}

void pipe_pool::give(splice_pipe p, bool empty) {
  if (!p.valid()) return;
  if (empty && spare_.size() < max_spare_pipes) {
    spare_.push_back(p);
    return;
  }
  ::close(p.read_end);
  ::close(p.write_end);
}

relay_poller::relay_poller(asio::io_context& io) : epoll_(io) {
  const int fd = ::epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) {
    throw boost::system::system_error(errno, boost::system::system_category(), "epoll_create1");
  }
  epoll_.assign(fd);
}

relay_poller::~relay_poller() { close(); }

bool relay_poller::watch(int fd, ready_handler* handler) {
  ::epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return ::epoll_ctl(epoll_.native_handle(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void relay_poller::start() { wait(); }

void relay_poller::close() {
  boost::system::error_code ignored;
  epoll_.close(ignored);
}

void relay_poller::wait() {
  epoll_.async_wait(asio::posix::descriptor_base::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // closed
    dispatch();
    wait();
  });
}

void relay_poller::dispatch() {
  // Until the set is drained, but a bounded number of rounds, so that timers
  // and posted work are not starved under load.
  for (int round = 0; round < 4; ++round) {
    const int n =
        ::epoll_wait(epoll_.native_handle(), events_.data(), static_cast<int>(events_.size()), 0);
    for (int i = 0; i < n; ++i) {
      static_cast<ready_handler*>(events_[i].data.ptr)->on_ready(events_[i].events);
    }
    if (n < static_cast<int>(events_.size())) return;
  }
}

listener::listener(worker& w, std::shared_ptr<virtual_service_state> service,
                   asio::ip::tcp::endpoint at)
    : worker_(w), service_(std::move(service)), at_(at), acceptor_(w.io()), backoff_(w.io()) {}

std::optional<std::string> listener::open() {
  boost::system::error_code ec;
  acceptor_.open(at_.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) {
    const int one = 1;
    const int fd = acceptor_.native_handle();
    // SO_REUSEPORT: one acceptor per worker on the same VIP:port.
    // IP_FREEBIND: listen on a VIP that heartbeatd has not (yet) put on this node.
    if (::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
        ::setsockopt(fd, SOL_IP, IP_FREEBIND, &one, sizeof one) != 0) {
      ec.assign(errno, boost::system::system_category());
    }
    if (!ec && at_.address().is_v6()) {
      ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
  }
  if (!ec) acceptor_.bind(at_, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    acceptor_.close();
    std::ostringstream where;
    where << at_;
    return "cannot listen on " + where.str() + ": " + ec.message();
  }
  return std::nullopt;
}

void listener::start() {
  boost::system::error_code ec;
  acceptor_.native_non_blocking(true, ec);
  if (ec || !worker_.poller().watch(acceptor_.native_handle(), this)) {
    get_logger("proxy")->error("cannot watch listener on {}: {}", at_.port(),
                               ec ? ec.message() : std::strerror(errno));
    return;
  }
  // Connections queued before the watch produce no edge: look now.
  do_accept();
}

void listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void listener::on_ready(std::uint32_t) { do_accept(); }

void listener::do_accept() {
  if (!acceptor_.is_open()) return;
  const int fd = acceptor_.native_handle();
  // A bounded batch per turn; the rest after other handlers have run.
  for (int i = 0; i < 64; ++i) {
    asio::ip::tcp::endpoint peer;
    socklen_t len = static_cast<socklen_t>(peer.capacity());
    const int client = ::accept4(fd, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      // Out of descriptors or memory: back off briefly rather than spin. The
      // queue is not drained, so no new edge may come: retry on the timer.
      get_logger("proxy")->warn("accept on {}: {}", at_.port(), std::strerror(errno));
      backoff_.expires_after(std::chrono::milliseconds(20));
      backoff_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->do_accept();
      });
      return;
    }
    peer.resize(len);
    worker_.assign(client, peer, service_, at_.port());
  }
  if (accept_posted_) return;
  accept_posted_ = true;
  asio::post(worker_.io(), [self = shared_from_this()] {
    self->accept_posted_ = false;
    self->do_accept();
  });
}

void worker::assign(int fd, const asio::ip::tcp::endpoint& peer,
                    const std::shared_ptr<virtual_service_state>& service, std::uint16_t vip_port) {
  worker* target = this;
  if (context_.workers && context_.workers->size() > 1) {
    std::size_t best = load();
    for (const auto& w : *context_.workers) {
      const auto l = w->load();
      if (l + 2 <= best) {
        target = w.get();
        best = l;
      }
    }
  }
  target->load_.fetch_add(1, std::memory_order_relaxed);
  if (target == this) {
    std::make_shared<session>(*this, fd, peer, service, vip_port)->start();
    return;
  }
  // Owns the descriptor until the target takes it: a handler destroyed
  // without running (the target stopping) closes it.
  struct owned_fd {
    explicit owned_fd(int f) : fd(f) {}
    owned_fd(const owned_fd&) = delete;
    owned_fd& operator=(const owned_fd&) = delete;
    ~owned_fd() {
      if (fd >= 0) ::close(fd);
    }
    int fd;
  };
  auto owned = std::make_shared<owned_fd>(fd);
  asio::post(target->io_, [target, owned, peer, service, vip_port] {
    const int taken = std::exchange(owned->fd, -1);
    std::make_shared<session>(*target, taken, peer, service, vip_port)->start();
  });
}

void worker::start() {
  poller_.start();
  guard_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

worker::worker(data_plane_context context) : context_(context) {}

worker::~worker() {
  stop();
  listeners_.clear();
}

void worker::close_all() {
  poller_.close();
  for (auto& [at, l] : listeners_) l->close();
  listeners_.clear();
  // close() may drop the last reference elsewhere; collect first.
  std::vector<std::shared_ptr<session>> open;
  for (auto& s : sessions_) open.push_back(s.shared_from_this());
  for (auto& s : open) s->close();
}

void worker::close_sessions_of(const real_server_state* server) {
  std::vector<std::shared_ptr<session>> victims;
  for (auto& s : sessions_) {
    if (s.server() == server) victims.push_back(s.shared_from_this());
  }
  for (auto& s : victims) s->close();
}

void worker::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    close_all();
    guard_.reset();
  });
  thread_.join();
}

}  // namespace lbha::proxy
