#include "web/listener.hpp"

#include <sys/socket.h>

#include "common/logging.hpp"

namespace lbha::web {

listener::listener(asio::io_context& io, asio::ip::tcp::endpoint endpoint,
                   std::size_t max_connections, connection_handler handler)
    : io_(io),
      endpoint_(std::move(endpoint)),
      max_connections_(max_connections),
      handler_(std::move(handler)),
      acceptor_(io) {}

result<void> listener::open() {
  boost::system::error_code ec;
  acceptor_.open(endpoint_.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint_.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor_.bind(endpoint_, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return error(ec, "listen on " + endpoint_.address().to_string() + ":" +
                         std::to_string(endpoint_.port()) + ": " + ec.message());
  }
  return success();
}

void listener::start() { asio::co_spawn(io_, do_accept(), asio::detached); }

void listener::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  // Each session owns its socket; shutting the descriptor down makes its
  // pending read or write complete with an error, and the session ends.
  for (const auto& [id, fd] : open_) ::shutdown(fd, SHUT_RDWR);
}

std::uint16_t listener::port() const {
  boost::system::error_code ec;
  const auto local = acceptor_.local_endpoint(ec);
  return ec ? 0 : local.port();
}

awaitable<void> listener::do_accept() {
  while (!stopped_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) break;
      // EMFILE and friends: wait a moment rather than spin on a full table.
      get_logger("webd")->warn("accept on port {}: {}", port(), ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (open_.size() >= max_connections_) {
      socket.close(ec);
      continue;
    }
    asio::co_spawn(io_, do_serve(std::move(socket)), asio::detached);
  }
}

awaitable<void> listener::do_serve(asio::ip::tcp::socket socket) {
  const auto id = next_id_++;
  open_[id] = socket.native_handle();
  try {
    co_await handler_(std::move(socket));
  } catch (const std::exception& e) {
    get_logger("webd")->warn("connection ended: {}", e.what());
  }
  open_.erase(id);
}

}  // namespace lbha::web
