#include "replicator/pairing/errc.hpp"

#include <string_view>

#include "common/error_category.hpp"

namespace lbha::pairing {

namespace {

std::string_view describe(errc e) {
  switch (e) {
    case errc::refused:
      return "refused";
    case errc::invalid_config:
      return "invalid config";
    case errc::io:
      return "cannot read or write a file";
    case errc::node_key:
      return "no usable node SSH key";
    case errc::unreachable:
      return "the peer is unreachable over SSH";
    case errc::host_key_mismatch:
      return "the peer's SSH host key changed";
    case errc::auth_failed:
      return "SSH authentication failed";
    case errc::exec_failed:
      return "running the receiver over SSH failed";
    case errc::bad_request:
      return "malformed request";
    case errc::bad_reply:
      return "malformed reply from the peer";
  }
  return "unknown pairing error";
}

}  // namespace

const std::error_category& pairing_category() {
  static const enum_category<errc> instance("lbha.pairing", describe);
  return instance;
}

}  // namespace lbha::pairing
