#include "proxy/worker.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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

void listener::close() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void listener::do_accept() {
  acceptor_.async_accept(
      worker_.io(), peer_,
      [self = shared_from_this()](boost::system::error_code ec, asio::ip::tcp::socket socket) {
        if (!self->acceptor_.is_open()) return;
        if (ec) {
          // Out of descriptors or memory: back off briefly rather than spin.
          get_logger("proxy")->warn("accept on {}: {}", self->at_.port(), ec.message());
          self->backoff_.expires_after(std::chrono::milliseconds(20));
          self->backoff_.async_wait([self](boost::system::error_code wait_ec) {
            if (!wait_ec && self->acceptor_.is_open()) self->do_accept();
          });
          return;
        }
        auto s = std::make_shared<session>(self->worker_, std::move(socket), self->peer_,
                                           self->service_, self->at_.port());
        s->start();
        self->do_accept();
      });
}

void worker::start() {
  guard_.emplace(io_.get_executor());
  thread_ = std::thread([this] { io_.run(); });
}

worker::worker(data_plane_context context) : context_(context) {}

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
