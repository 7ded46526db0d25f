// One client connection: read a request, let the handler answer, write the
// answer, and again while the client keeps the connection alive.
//
// serve_https does the TLS handshake first (TLS 1.2+, the context's
// certificate); serve_http is plain HTTP (a local scrape port may use it);
// serve_redirect is serve_http answering every request with a redirect to
// the WebUI on HTTPS and nothing else. All hold
// the client to http_limits: a request whose headers or body are too big gets
// 431 or 413 and the connection closes; one that does not arrive in time
// (handshake, request, idle between requests) just loses the connection.
// Every HTTPS answer carries the security headers (HSTS, no framing, no
// sniffing, a same-origin content policy, no caching). The answer to a HEAD
// is the handler's headers (its Content-Length too) without the body. Runs
// on the io thread; the listener owns the task.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/asio_ssl.hpp"
#include "web/http_types.hpp"

namespace lbha::web {

awaitable<void> serve_https(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> tls,
                            const request_handler& handler, http_limits limits);

awaitable<void> serve_http(asio::ip::tcp::socket socket, const request_handler& handler,
                           http_limits limits);

awaitable<void> serve_redirect(asio::ip::tcp::socket socket, std::uint16_t https_port,
                               http_limits limits);

// https://<host of the request's Host header>:<https_port>/lbadmin/. A Host
// that is not a plain name or address (or absent) gives `fallback_host`.
std::string redirect_location(std::string_view host_header, std::uint16_t https_port,
                              std::string_view fallback_host);

// The headers every HTTPS answer carries (see above).
void add_security_headers(response& res);

}  // namespace lbha::web
