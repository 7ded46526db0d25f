// lbha-lab-server: the real server of every lab test and of the demo.
//
// Answers any HTTP request with 200 and the body "server <name>\n", so a test
// sees which real server a request reached; keep-alive per HTTP/1.1 (and
// HTTP/1.0 with `Connection: keep-alive`). With `echo` it is a raw TCP echo
// server instead (persistence and relaying tests). `freebind` sets
// IP_FREEBIND, so it can listen on an address not (yet) on the interface.
// `tls_pem` (a file holding a certificate and its key, PEM) serves the same
// HTTP over TLS: the lab's HTTPS real server for negotiate checks.
// `proxy_protocol` expects a PROXY header (v1 or v2) first on every connection,
// as a server behind `send_proxy` does, and answers "server <name>\nclient
// <address>\n" with the client address the header gave ("local" for a
// health check's LOCAL header); a connection without one is dropped.
// `report_peer` answers "client <address>" with the TCP peer's own address
// instead: what a server behind a transparent (TProxy) service sees.
//
// One io_context, one coroutine per connection. stop() closes the acceptor
// and every open connection, so io_context::run() returns by itself.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string>

#include "common/asio_ssl.hpp"

namespace lbha::lab {

struct lab_server_options {
  std::string address = "0.0.0.0";
  std::uint16_t port = 80;
  std::string name = "lab-server";
  bool echo = false;
  bool freebind = false;
  std::string tls_pem{};  // HTTPS with this certificate and key; "" = plain HTTP
  bool proxy_protocol = false;
  bool report_peer = false;
};

// The HTTP response to one request; keep_alive says whether the connection
// stays open. `client` (from a PROXY header) adds a "client <address>" line.
std::string http_answer(const std::string& name, bool head, bool keep_alive,
                        const std::string& client = "");

class lab_server {
 public:
  lab_server(asio::io_context& io, lab_server_options options);

  // Binds and listens (throws boost::system::system_error), then accepts in the background.
  void start();
  void stop();
  std::uint16_t port() const { return bound_port_; }

 private:
  using socket_ptr = std::shared_ptr<asio::ip::tcp::socket>;

  awaitable<void> do_accept();
  awaitable<void> do_http(socket_ptr socket);
  awaitable<void> do_https(socket_ptr socket);
  awaitable<void> do_echo(socket_ptr socket);
  // The peer address to report (report_peer), or "" for none.
  std::string reported_peer(const asio::ip::tcp::socket& socket) const;

  asio::io_context& io_;
  lab_server_options options_;
  asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
  std::list<std::weak_ptr<asio::ip::tcp::socket>> connections_;
  std::uint16_t bound_port_ = 0;
  bool stopped_ = false;
};

}  // namespace lbha::lab
