#include "proxy/transparent.hpp"

#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/privileges.hpp"

namespace lbha::proxy {

namespace {

int set_transparent(int fd, bool v4) {
  const int one = 1;
  return v4 ? ::setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof one)
            : ::setsockopt(fd, SOL_IPV6, IPV6_TRANSPARENT, &one, sizeof one);
}

}  // namespace

result<void> bind_transparent(int fd, const asio::ip::address& client) {
  const bool v4 = client.is_v4();
  if (set_transparent(fd, v4) != 0) {
    if (errno != EPERM) return errno_error(errno, "IP_TRANSPARENT");
    // Under --user: CAP_NET_RAW is permitted on this thread, not effective.
    raised_capability raised(CAP_NET_RAW);
    if (!raised.ok()) {
      return errno_error(raised.error(),
                         "IP_TRANSPARENT needs CAP_NET_RAW, which this thread lacks");
    }
    if (set_transparent(fd, v4) != 0) return errno_error(errno, "IP_TRANSPARENT");
  }
  // The source port is chosen by connect(), so only the whole 4-tuple must
  // be unique (the client's own port may well be in use towards the server).
  const int one = 1;
  ::setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
  const asio::ip::tcp::endpoint from(client, 0);
  if (::bind(fd, from.data(), static_cast<socklen_t>(from.size())) != 0) {
    return errno_error(errno, "bind to the client's address " + client.to_string());
  }
  return success();
}

}  // namespace lbha::proxy
