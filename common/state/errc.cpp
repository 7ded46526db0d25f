#include "common/state/errc.hpp"

#include <string_view>

#include "common/error_category.hpp"

namespace lbha::state {

namespace {

std::string_view describe(errc e) {
  switch (e) {
    case errc::unreadable:
      return "cannot read the state file";
    case errc::garbled:
      return "the state file is not in its format";
    case errc::insecure_mode:
      return "the secret is readable by group or others (chmod 600)";
    case errc::unwritable:
      return "cannot write the state file";
  }
  return "unknown state error";
}

}  // namespace

const std::error_category& state_category() {
  static const enum_category<errc> instance("lbha.state", describe);
  return instance;
}

}  // namespace lbha::state
