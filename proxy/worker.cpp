#include "proxy/worker.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <sstream>

#include "common/logging.hpp"
#include "common/privileges.hpp"
#include "proxy/errc.hpp"
#include "proxy/handover.hpp"
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

listener::listener(worker& w, std::shared_ptr<virtual_service_state> service,
                   asio::ip::tcp::endpoint at)
    : worker_(w), service_(std::move(service)), at_(at) {}

listener::~listener() { close(); }

result<void> listener::open() {
  const auto fail = [this](const char* step) {
    const int error = errno;
    close();
    std::ostringstream where;
    where << at_;
    return lbha::error(errc::listen_failed, "cannot listen on " + where.str() + ": " + step + ": " +
                                                std::strerror(error));
  };
  fd_ = ::socket(at_.address().is_v4() ? AF_INET : AF_INET6,
                 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail("socket");
  const int one = 1;
  // SO_REUSEPORT: one listening socket per worker on the same VIP:port.
  // IP_FREEBIND: listen on a VIP that heartbeatd has not (yet) put on this node.
  // TCP_NODELAY: accepted sockets inherit it, one setsockopt per connection saved.
  if (::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 ||
      ::setsockopt(fd_, SOL_IP, IP_FREEBIND, &one, sizeof one) != 0 ||
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
      (at_.address().is_v6() &&
       ::setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
    return fail("setsockopt");
  }
  if (::bind(fd_, at_.data(), static_cast<socklen_t>(at_.size())) != 0) return fail("bind");
  if (::listen(fd_, SOMAXCONN) != 0) return fail("listen");
  return success();
}

void listener::start() {
  if (!worker_.loop().watch(fd_, this)) {
    get_logger("proxy")->error("cannot watch listener on {}: {}", at_.port(), std::strerror(errno));
    return;
  }
  // Connections queued before the watch produce no edge: look now.
  do_accept();
}

void listener::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  backoff_.unlink();
}

int listener::release() {
  if (fd_ < 0) return -1;
  worker_.loop().unwatch(fd_);
  backoff_.unlink();
  return std::exchange(fd_, -1);
}

void listener::on_ready(std::uint32_t) { do_accept(); }

void listener::do_accept() {
  if (fd_ < 0) return;
  // A bounded batch per turn; the rest after other handlers have run.
  for (int i = 0; i < 64; ++i) {
    asio::ip::tcp::endpoint peer;
    socklen_t len = static_cast<socklen_t>(peer.capacity());
    const int client = ::accept4(fd_, peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      // Out of descriptors or memory: back off briefly rather than spin. The
      // queue is not drained, so no new edge may come: retry on the timer.
      get_logger("proxy")->warn("accept on {}: {}", at_.port(), std::strerror(errno));
      worker_.loop().schedule(backoff_, worker_.loop().now() + std::chrono::milliseconds(20));
      return;
    }
    peer.resize(len);
    worker_.assign(client, peer, service_, at_.port());
  }
  if (accept_deferred_) return;
  accept_deferred_ = true;
  worker_.loop().defer([self = shared_from_this()] {
    self->accept_deferred_ = false;
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
  target->loop_.post([target, owned, peer, service, vip_port] {
    const int taken = std::exchange(owned->fd, -1);
    std::make_shared<session>(*target, taken, peer, service, vip_port)->start();
  });
}

void worker::start() {
  std::promise<void> prepared;
  auto ready = prepared.get_future();
  thread_ = std::thread([this, &prepared] {
    if (!context_.permitted_capabilities.empty()) {
      // Done before start() returns, so before the daemon drops to --user.
      if (auto kept = keep_capabilities_through_drop(); !kept) {
        get_logger("proxy")->error("a worker cannot keep its capabilities: {}",
                                   kept.error().message());
      }
    }
    prepared.set_value();
    if (context_.scheduling == worker_scheduling::batch) {
      // This thread only (pid 0 = the caller); the nice level is kept. No
      // privilege is needed to leave SCHED_OTHER for SCHED_BATCH.
      const ::sched_param normal{};
      if (::sched_setscheduler(0, SCHED_BATCH, &normal) != 0) {
        get_logger("proxy")->warn("cannot run a worker under SCHED_BATCH: {}",
                                  std::strerror(errno));
      }
    }
    loop_.run();
  });
  ready.wait();
}

worker::worker(data_plane_context context) : context_(context) {}

result<void> worker::narrow_capabilities() {
  return call([this] { return keep_permitted_only(context_.permitted_capabilities); });
}

worker::~worker() {
  stop();
  listeners_.clear();
}

void worker::close_all() {
  for (auto& [at, l] : listeners_) l->close();
  listeners_.clear();
  // close() may drop the last reference elsewhere; collect first.
  std::vector<std::shared_ptr<session>> open;
  for (auto& s : sessions_) open.push_back(s.shared_from_this());
  for (auto& s : open) s->close();
}

void worker::release_listeners(std::vector<int>& fds) {
  for (auto& [at, l] : listeners_) {
    const int fd = l->release();
    if (fd >= 0) fds.push_back(fd);
  }
  listeners_.clear();
}

void worker::hand_over_sessions(v1::ProxyHandover& out, std::vector<int>& fds) {
  std::vector<std::shared_ptr<session>> open;
  for (auto& s : sessions_) open.push_back(s.shared_from_this());
  for (auto& s : open) {
    if (!s->hand_over(*out.add_sessions(), fds)) out.mutable_sessions()->RemoveLast();
  }
}

void worker::close_sessions_of(const real_server_state* server) {
  std::vector<std::shared_ptr<session>> victims;
  for (auto& s : sessions_) {
    if (s.server() == server) victims.push_back(s.shared_from_this());
  }
  for (auto& s : victims) s->close();
}

void worker::ask_beat() {
  loop_.post([this, n = ++asked_] { answered_.store(n, std::memory_order_release); });
}

void worker::stop() {
  if (!thread_.joinable()) return;
  loop_.post([this] {
    close_all();
    loop_.stop();
  });
  thread_.join();
}

}  // namespace lbha::proxy
