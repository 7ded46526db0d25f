#include "tests/lab/lab_server.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/logging.hpp"

namespace lbha::lab {

namespace {

using asio::ip::tcp;

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The value of header `name` (lower case) in a lower-cased header block, or empty.
std::string header_value(const std::string& headers, const std::string& name) {
  const auto at = headers.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  auto start = at + name.size() + 3;
  const auto end = headers.find("\r\n", start);
  while (start < end && headers[start] == ' ') ++start;
  return headers.substr(start, end - start);
}

}  // namespace

std::string http_answer(const std::string& name, bool head, bool keep_alive) {
  const std::string body = "server " + name + "\n";
  std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(body.size()) +
                         "\r\nConnection: " + (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  if (!head) response += body;
  return response;
}

lab_server::lab_server(asio::io_context& io, lab_server_options options)
    : io_(io), options_(std::move(options)), acceptor_(io) {}

void lab_server::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(options_.address), options_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  if (options_.freebind) {
    const int on = 1;
    const int level = endpoint.address().is_v6() ? IPPROTO_IPV6 : IPPROTO_IP;
    const int option = endpoint.address().is_v6() ? IPV6_FREEBIND : IP_FREEBIND;
    if (::setsockopt(acceptor_.native_handle(), level, option, &on, sizeof on) != 0) {
      throw boost::system::system_error(errno, boost::system::system_category(), "IP_FREEBIND");
    }
  }
  acceptor_.bind(endpoint);
  acceptor_.listen();
  bound_port_ = acceptor_.local_endpoint().port();
  get_logger("lab-server")
      ->info("{} listening on {}:{} ({})", options_.name, options_.address, bound_port_,
             options_.echo ? "echo" : "http");
  asio::co_spawn(io_, do_accept(), asio::detached);
}

void lab_server::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& weak : connections_) {
    if (auto socket = weak.lock()) socket->close(ignored);
  }
  connections_.clear();
}

awaitable<void> lab_server::do_accept() {
  while (!stopped_) {
    boost::system::error_code ec;
    auto socket = std::make_shared<tcp::socket>(
        co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec)));
    if (ec) {
      if (stopped_ || ec == asio::error::operation_aborted) co_return;
      continue;  // e.g. EMFILE: keep serving the connections we have
    }
    connections_.remove_if([](const auto& weak) { return weak.expired(); });
    connections_.push_back(socket);
    if (options_.echo) {
      asio::co_spawn(io_, do_echo(socket), asio::detached);
    } else {
      asio::co_spawn(io_, do_http(socket), asio::detached);
    }
  }
}

awaitable<void> lab_server::do_http(socket_ptr socket) {
  std::string buffer;
  for (;;) {
    boost::system::error_code ec;
    const std::size_t header_size = co_await asio::async_read_until(
        *socket, asio::dynamic_buffer(buffer), "\r\n\r\n", asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const std::string headers = lower(buffer.substr(0, header_size));
    buffer.erase(0, header_size);

    const bool http10 = headers.find(" http/1.0\r\n") != std::string::npos;
    const std::string connection = header_value(headers, "connection");
    const bool keep_alive = http10 ? connection == "keep-alive" : connection != "close";
    const bool head = headers.compare(0, 5, "head ") == 0;

    // A request body is read and ignored, so the next request parses cleanly.
    const std::string length_text = header_value(headers, "content-length");
    std::size_t length = 0;
    if (!length_text.empty()) {
      auto [end, parse_ec] =
          std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
      if (parse_ec != std::errc{}) co_return;  // not HTTP we understand: drop the connection
    }
    if (buffer.size() < length) {
      co_await asio::async_read(*socket, asio::dynamic_buffer(buffer),
                                asio::transfer_exactly(length - buffer.size()),
                                asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
    buffer.erase(0, length);

    const std::string response = http_answer(options_.name, head, keep_alive);
    co_await asio::async_write(*socket, asio::buffer(response),
                               asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) break;
  }
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
}

awaitable<void> lab_server::do_echo(socket_ptr socket) {
  char data[16384];
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = co_await socket->async_read_some(asio::buffer(data),
                                                           asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    co_await asio::async_write(*socket, asio::buffer(data, n),
                               asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  boost::system::error_code ignored;
  socket->close(ignored);
}

}  // namespace lbha::lab
