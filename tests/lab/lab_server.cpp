#include "tests/lab/lab_server.hpp"

#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <sstream>

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

// Reads a PROXY protocol header (v1 or v2) off the front of `stream` into
// and out of `buffer`: the client address it names, "local" or "unknown";
// nullopt when the connection does not start with one.
template <typename Stream>
awaitable<std::optional<std::string>> read_proxy_header(Stream& stream, std::string& buffer) {
  boost::system::error_code ec;
  const auto fill = [&](std::size_t n) -> awaitable<bool> {
    if (buffer.size() < n) {
      co_await asio::async_read(stream, asio::dynamic_buffer(buffer),
                                asio::transfer_at_least(n - buffer.size()),
                                asio::redirect_error(use_awaitable, ec));
    }
    co_return !ec && buffer.size() >= n;
  };
  if (!co_await fill(1)) co_return std::nullopt;
  if (buffer[0] == 'P') {  // v1: "PROXY TCP4 src dst sport dport\r\n"
    const std::size_t n = co_await asio::async_read_until(
        stream, asio::dynamic_buffer(buffer), "\r\n", asio::redirect_error(use_awaitable, ec));
    if (ec) co_return std::nullopt;
    std::istringstream words(buffer.substr(0, n - 2));
    buffer.erase(0, n);
    std::string proxy, family, source;
    words >> proxy >> family >> source;
    if (proxy != "PROXY") co_return std::nullopt;
    co_return family == "UNKNOWN" ? "unknown" : source;
  }
  static constexpr char signature[] = "\r\n\r\n\0\r\nQUIT\n";
  if (!co_await fill(16) || buffer.compare(0, 12, std::string(signature, 12)) != 0) {
    co_return std::nullopt;
  }
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(buffer[i]); };
  const std::size_t length = 16 + (std::size_t{byte(14)} << 8 | byte(15));
  if (!co_await fill(length)) co_return std::nullopt;
  std::string client = "unknown";
  if (byte(12) == 0x20) {
    client = "local";
  } else if (byte(13) == 0x11 && length >= 16 + 12) {
    asio::ip::address_v4::bytes_type b;
    std::copy_n(buffer.begin() + 16, 4, b.begin());
    client = asio::ip::address_v4(b).to_string();
  } else if (byte(13) == 0x21 && length >= 16 + 36) {
    asio::ip::address_v6::bytes_type b;
    std::copy_n(buffer.begin() + 16, 16, b.begin());
    client = asio::ip::address_v6(b).to_string();
  }
  buffer.erase(0, length);
  co_return client;
}

// HTTP/1.x requests answered one after another on `stream` (TCP or TLS)
// until the client closes or asks to.
template <typename Stream>
awaitable<void> serve_http(Stream& stream, const std::string& name, bool proxy_protocol,
                           std::string client) {
  std::string buffer;
  if (proxy_protocol) {
    auto from = co_await read_proxy_header(stream, buffer);
    if (!from) co_return;
    client = *from;
  }
  for (;;) {
    boost::system::error_code ec;
    const std::size_t header_size = co_await asio::async_read_until(
        stream, asio::dynamic_buffer(buffer), "\r\n\r\n", asio::redirect_error(use_awaitable, ec));
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
      co_await asio::async_read(stream, asio::dynamic_buffer(buffer),
                                asio::transfer_exactly(length - buffer.size()),
                                asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
    }
    buffer.erase(0, length);

    const std::string response = http_answer(name, head, keep_alive, client);
    co_await asio::async_write(stream, asio::buffer(response),
                               asio::redirect_error(use_awaitable, ec));
    if (ec || !keep_alive) co_return;
  }
}

}  // namespace

std::string http_answer(const std::string& name, bool head, bool keep_alive,
                        const std::string& client) {
  const std::string body =
      "server " + name + "\n" + (client.empty() ? "" : "client " + client + "\n");
  std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                         std::to_string(body.size()) +
                         "\r\nConnection: " + (keep_alive ? "keep-alive" : "close") + "\r\n\r\n";
  if (!head) response += body;
  return response;
}

lab_server::lab_server(asio::io_context& io, lab_server_options options)
    : io_(io), options_(std::move(options)), acceptor_(io) {}

void lab_server::start() {
  if (!options_.tls_pem.empty()) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    tls_->use_certificate_chain_file(options_.tls_pem);
    tls_->use_private_key_file(options_.tls_pem, asio::ssl::context::pem);
  }
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
             options_.echo ? "echo"
             : tls_        ? "https"
                           : "http");
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
    } else if (tls_) {
      asio::co_spawn(io_, do_https(socket), asio::detached);
    } else {
      asio::co_spawn(io_, do_http(socket), asio::detached);
    }
  }
}

std::string lab_server::reported_peer(const tcp::socket& socket) const {
  if (!options_.report_peer) return "";
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  return ec ? "unknown" : peer.address().to_string();
}

awaitable<void> lab_server::do_http(socket_ptr socket) {
  const std::string peer = reported_peer(*socket);
  co_await serve_http(*socket, options_.name, options_.proxy_protocol, peer);
  boost::system::error_code ignored;
  socket->shutdown(tcp::socket::shutdown_both, ignored);
  socket->close(ignored);
}

awaitable<void> lab_server::do_https(socket_ptr socket) {
  asio::ssl::stream<tcp::socket&> stream(*socket, *tls_);
  boost::system::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(use_awaitable, ec));
  if (!ec) {
    const std::string peer = reported_peer(*socket);
    co_await serve_http(stream, options_.name, options_.proxy_protocol, peer);
    co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  }
  socket->close(ec);
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
