// Sockets inside a lab node, from the test process itself.
//
// A socket belongs to the network namespace it was created in, whatever
// thread uses it later. make_socket creates it on a short-lived thread that
// has entered the namespace (setns), so the test's own threads never switch
// namespace. The descriptor can be used directly or handed to Asio
// (`asio::ip::tcp::socket s(io); s.assign(asio::ip::tcp::v4(), fd);`).
//
// tcp_connect and http_get are blocking, with a timeout: test-side probes
// ("can the client reach the VIP, and which real server answers?").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace lbha::lab {

// A socket(domain, type, protocol) in `netns`, close-on-exec. Throws lab_error.
int make_socket(const std::string& netns, int domain, int type, int protocol = 0);

// "2001:DB8::0100" -> "2001:db8::100", "192.0.2.1" -> itself; nullopt when
// the text is no IPv4 or IPv6 address.
std::optional<std::string> canonical_ip(const std::string& text);

// True if a TCP connection from `netns` to ip:port is established within the timeout.
bool tcp_connect(const std::string& netns, const std::string& ip, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

struct http_response {
  bool ok = false;    // a complete HTTP response arrived
  int status = 0;     // e.g. 200
  std::string body;   // body as sent (Content-Length or up to EOF)
  std::string error;  // why ok is false: "connect: Connection refused", "timeout", ...
};

// One `GET path` with `Connection: close` from `netns` to ip:port.
http_response http_get(const std::string& netns, const std::string& ip, std::uint16_t port,
                       const std::string& path = "/",
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace lbha::lab
