#include "web/http_session.hpp"

#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>

#include "common/logging.hpp"

namespace lbha::web {

namespace beast = boost::beast;

namespace {

std::string client_of(const asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = remote.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  return address.to_string();
}

response refusal(unsigned version, http::status status) {
  request req;
  req.version(version);
  req.keep_alive(false);
  return make_response(req, status, "text/plain; charset=utf-8",
                       std::string(to_std(http::obsolete_reason(status))) + "\n");
}

// After a refusal the client may still be sending the rest of its request.
// Closing with those bytes unread makes the kernel reset the connection,
// which can reach the client before it has read the refusal; so read and
// drop what it sends, within limits.linger_timeout and limits.linger_bytes,
// until it closes (as nginx's lingering close).
template <typename Stream>
awaitable<void> drain_refused_request(Stream& stream, const http_limits& limits) {
  beast::get_lowest_layer(stream).expires_after(limits.linger_timeout);
  std::array<char, 16 * 1024> scratch;
  std::size_t dropped = 0;
  boost::system::error_code ec;
  while (!ec && dropped < limits.linger_bytes) {
    dropped += co_await stream.async_read_some(asio::buffer(scratch),
                                               asio::redirect_error(use_awaitable, ec));
  }
}

// Reads and answers requests until the client closes, a limit is hit or the
// handler's answer ends the connection. `secure` adds the HTTPS headers.
template <typename Stream>
awaitable<void> serve_requests(Stream& stream, const request_handler& handler,
                               const http_limits& limits, std::string client, bool secure) {
  beast::flat_buffer buffer;
  for (unsigned n = 0; n < limits.requests_per_connection; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(limits.header_bytes));
    parser.body_limit(limits.body_bytes);
    beast::get_lowest_layer(stream).expires_after(n == 0 ? limits.request_timeout
                                                         : limits.idle_timeout);
    boost::system::error_code ec;
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    response res;
    bool keep_alive = false;
    bool head = false;
    const bool refused = ec == http::error::header_limit || ec == http::error::body_limit;
    if (ec == http::error::header_limit) {
      res = refusal(11, http::status::request_header_fields_too_large);
    } else if (ec == http::error::body_limit) {
      res = refusal(11, http::status::payload_too_large);
    } else if (ec) {
      break;  // closed, timed out, or not HTTP: nothing worth answering
    } else {
      request_context context{parser.release(), client};
      const unsigned version = context.req.version();
      head = context.req.method() == http::verb::head;
      keep_alive = context.req.keep_alive();
      try {
        res = co_await handler(std::move(context));
      } catch (const std::exception& e) {
        get_logger("webd")->error("request from {} failed: {}", client, e.what());
        res = refusal(version, http::status::internal_server_error);
      }
    }
    if (head) {
      // The headers a GET would have, Content-Length included, and no body.
      const auto length = res.body().size();
      res.body().clear();
      res.content_length(length);
    }
    if (secure) add_security_headers(res);
    res.keep_alive(keep_alive && res.keep_alive());
    beast::get_lowest_layer(stream).expires_after(limits.request_timeout);
    co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    if (!ec && refused) co_await drain_refused_request(stream, limits);
    if (ec || !res.keep_alive()) break;
  }
}

bool plain_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']')
      return false;
  }
  return true;
}

}  // namespace

std::string redirect_location(std::string_view host_header, std::uint16_t https_port,
                              std::string_view fallback_host) {
  std::string_view host = plain_host(host_header) ? host_header : fallback_host;
  if (host.empty()) host = "localhost";
  // Drop the port the client used for HTTP: "lb1:9080" -> "lb1",
  // "[2001:db8::1]:9080" -> "[2001:db8::1]"; a bare IPv6 address has no port.
  if (host.front() == '[') {
    const auto close = host.find(']');
    host = close == std::string_view::npos ? fallback_host : host.substr(0, close + 1);
  } else if (const auto colon = host.find(':');
             colon != std::string_view::npos && host.rfind(':') == colon) {
    host = host.substr(0, colon);
  }
  if (host.empty()) host = fallback_host.empty() ? "localhost" : fallback_host;
  std::string out = "https://";
  const bool bare_v6 = host.find(':') != std::string_view::npos && host.front() != '[';
  out += bare_v6 ? "[" + std::string(host) + "]" : std::string(host);
  return out + ":" + std::to_string(https_port) + "/lbadmin/";
}

void add_security_headers(response& res) {
  res.set(http::field::strict_transport_security, "max-age=31536000");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Content-Security-Policy",
          "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
  // same-origin, not no-referrer: under no-referrer a browser sends `Origin: null`
  // with every form POST (the Fetch standard), which web_app's cross-site check
  // must refuse, so no log-in, log-out or change could be posted from a page.
  // Other sites still get no referrer.
  res.set("Referrer-Policy", "same-origin");
  if (res.find(http::field::cache_control) == res.end())
    res.set(http::field::cache_control, "no-store");
}

awaitable<void> serve_https(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                            const request_handler& handler, http_limits limits) {
  const std::string client = client_of(socket);
  beast::ssl_stream<beast::tcp_stream> stream(beast::tcp_stream(std::move(socket)), *tls);
  beast::get_lowest_layer(stream).expires_after(limits.handshake_timeout);
  boost::system::error_code ec;
  co_await stream.async_handshake(asio::ssl::stream_base::server,
                                  asio::redirect_error(use_awaitable, ec));
  if (ec) {
    get_logger("webd")->debug("TLS handshake with {} failed: {}", client, ec.message());
    co_return;
  }
  co_await serve_requests(stream, handler, limits, client, true);
  beast::get_lowest_layer(stream).expires_after(limits.handshake_timeout);
  co_await stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
}

awaitable<void> serve_http(asio::ip::tcp::socket socket, const request_handler& handler,
                           http_limits limits) {
  const std::string client = client_of(socket);
  beast::tcp_stream stream(std::move(socket));
  co_await serve_requests(stream, handler, limits, client, false);
  boost::system::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
}

awaitable<void> serve_redirect(asio::ip::tcp::socket socket, std::uint16_t https_port,
                               http_limits limits) {
  boost::system::error_code ec;
  const auto local = socket.local_endpoint(ec);
  const std::string fallback = ec ? std::string("localhost") : local.address().to_string();
  const request_handler redirect = [https_port,
                                    fallback](request_context context) -> awaitable<response> {
    auto res = make_response(context.req, http::status::permanent_redirect,
                             "text/plain; charset=utf-8", "The WebUI is on HTTPS.\n");
    res.set(http::field::location,
            redirect_location(to_std(context.req[http::field::host]), https_port, fallback));
    co_return res;
  };
  co_await serve_http(std::move(socket), redirect, limits);
}

}  // namespace lbha::web
