#include "proxy/errc.hpp"

#include <string_view>

#include "common/error_category.hpp"

namespace lbha::proxy {
namespace {

std::string_view describe(errc e) {
  switch (e) {
    case errc::invalid_config:
      return "the cluster config does not validate";
    case errc::unknown_service:
      return "no such virtual service";
    case errc::unknown_real_server:
      return "no such real server";
    case errc::invalid_state:
      return "state must be online, drain or halt";
    case errc::not_running:
      return "the engine is not running";
    case errc::listen_failed:
      return "cannot listen";
  }
  return "unknown proxy error";
}

}  // namespace

const std::error_category& proxy_category() {
  static const enum_category<errc> instance("lbha.proxy", describe);
  return instance;
}

}  // namespace lbha::proxy
