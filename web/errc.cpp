#include "web/errc.hpp"

#include <string_view>

#include "common/error_category.hpp"

namespace lbha::web {
namespace {

std::string_view describe(errc e) {
  switch (e) {
    case errc::bad_credentials:
      return "wrong user name or password";
    case errc::not_permitted:
      return "the user is not in group lbha-admin or lbha";
    case errc::auth_unavailable:
      return "authentication is unavailable";
    case errc::rate_limited:
      return "too many failed log-ins";
    case errc::certificate:
      return "unusable certificate or key";
  }
  return "unknown web error";
}

}  // namespace

const std::error_category& web_category() {
  static const enum_category<errc> instance("lbha.web", describe);
  return instance;
}

}  // namespace lbha::web
