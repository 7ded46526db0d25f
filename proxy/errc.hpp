// Why proxyd refused an operation: a config it will not run, a real server
// or service that does not exist, a state it does not know, or a call made
// before start or after stop. The message names the key or the label.
#pragma once

#include <system_error>

namespace lbha::proxy {

enum class errc {
  invalid_config = 1,   // the cluster config does not validate
  unknown_service,      // no virtual service with that label
  unknown_real_server,  // the service has no real server with that label
  invalid_state,        // not online, drain or halt
  not_running,          // start() not called yet, or stop() already was
  listen_failed,        // socket, setsockopt or bind/listen on a VIP:port
};

const std::error_category& proxy_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), proxy_category()}; }

}  // namespace lbha::proxy

template <>
struct std::is_error_code_enum<lbha::proxy::errc> : std::true_type {};
