// The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and 2)
// that tells a real server who the client is when layer 7 SNAT hides it:
// written first on each server connection of a service with `send_proxy`.
//
// Pure: addresses in, bytes out. A header for a health check carries no
// client (v1 "PROXY UNKNOWN", v2 the LOCAL command), as the specification
// asks of connections the proxy makes on its own behalf.
#pragma once

#include <optional>
#include <string>

#include "common/asio.hpp"

namespace lbha::proxy {

enum class proxy_protocol { none, v1, v2 };

// The header for a connection from `client` to `vip` (the address and port
// the client connected to). Both of one family; an IPv4 address mapped in
// IPv6 is written as IPv4. Empty for proxy_protocol::none.
std::string proxy_header(proxy_protocol version, const asio::ip::tcp::endpoint& client,
                         const asio::ip::tcp::endpoint& vip);

// The header of a connection that relays no client (health checks).
std::string proxy_header_local(proxy_protocol version);

}  // namespace lbha::proxy
