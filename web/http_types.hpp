// The HTTP vocabulary lbha-webd's modules share: Beast's string-bodied
// request and response, the limits every connection is held to, and the
// handler a session hands each request to.
#pragma once

#include <boost/beast/http.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "common/asio.hpp"

namespace lbha::web {

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// What one client may cost. A slow client (slowloris) runs into the
// timeouts, a huge one into the size limits; both just lose the connection.
struct http_limits {
  std::size_t header_bytes = 8 * 1024;  // request line and headers
  std::size_t body_bytes = 64 * 1024;   // a log-in or button form is a few hundred bytes
  std::chrono::seconds handshake_timeout{10};
  std::chrono::seconds request_timeout{15};  // to read one whole request
  std::chrono::seconds idle_timeout{60};     // between requests on a kept-alive connection
  std::size_t max_connections = 256;         // open at once per listener; more are closed at once
  // After a 431 or 413: how long and how much of the rest of the request is
  // read and dropped before closing, so the refusal is not lost to a reset.
  std::chrono::seconds linger_timeout{2};
  std::size_t linger_bytes = 1024 * 1024;
  unsigned requests_per_connection = 1000;
};

// The client's address as the socket saw it ("192.0.2.50"): the log-in rate
// limit and the audit log key on it.
struct request_context {
  request req;
  std::string client;
};

// Answers one request. Runs on the io thread; blocking work (PAM, gRPC) is
// the handler's to move elsewhere.
using request_handler = std::function<awaitable<response>(request_context)>;

// Beast 1.74 speaks boost::string_view; the rest of lbha std::string_view.
inline std::string_view to_std(boost::beast::string_view s) { return {s.data(), s.size()}; }
inline boost::beast::string_view to_beast(std::string_view s) { return {s.data(), s.size()}; }

// A response with `body` of `content_type`, version and keep-alive from `req`.
response make_response(const request& req, http::status status, std::string_view content_type,
                       std::string body);

}  // namespace lbha::web
