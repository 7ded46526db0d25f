// A transparent service's server socket (TProxy): it leaves from the
// client's own address, so the real server sees the client, not proxyd.
//
// IP_TRANSPARENT (IPV6_TRANSPARENT) lets the socket bind an address this host
// does not own; the kernel allows setting it only with CAP_NET_RAW (or
// CAP_NET_ADMIN) effective on the calling thread. Under --user the workers
// hold CAP_NET_RAW in their permitted set only (worker.cpp), and it is made
// effective here just around that one setsockopt: a worker runs everything
// else without any capability. Root without --user needs no raising.
//
// The replies from the real server are addressed to the client: the node's
// policy routing must hand them to this socket (README.md "Transparent mode").
#pragma once

#include "common/asio.hpp"
#include "common/result.hpp"

namespace lbha::proxy {

// Sets IP_TRANSPARENT (or IPV6_TRANSPARENT) on `fd`, a socket of
// `client`'s family not yet bound, and binds it to `client` with the port left
// to connect() (IP_BIND_ADDRESS_NO_PORT). The error names the step and
// keeps its errno (EPERM: no CAP_NET_RAW).
result<void> bind_transparent(int fd, const asio::ip::address& client);

}  // namespace lbha::proxy
