#include "heartbeatd/errc.hpp"

#include <string>

#include "common/error_category.hpp"

namespace lbha::heartbeat {

std::string_view to_string(errc e) {
  switch (e) {
    case errc::truncated:
      return "truncated";
    case errc::oversized:
      return "oversized";
    case errc::bad_magic:
      return "bad_magic";
    case errc::wrong_version:
      return "wrong_version";
    case errc::wrong_cluster:
      return "wrong_cluster";
    case errc::unknown_key:
      return "unknown_key";
    case errc::bad_hmac:
      return "bad_hmac";
    case errc::malformed:
      return "malformed";
    case errc::stale:
      return "stale";
    case errc::replayed:
      return "replayed";
    case errc::own_node:
      return "own_node";
    case errc::no_live_peer:
      return "no_live_peer";
    case errc::restart_required:
      return "restart_required";
  }
  return "unknown";
}

const std::error_category& heartbeat_category() {
  static const enum_category<errc> instance("lbha.heartbeat", to_string);
  return instance;
}

}  // namespace lbha::heartbeat
