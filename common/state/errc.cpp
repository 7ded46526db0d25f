#include "common/state/errc.hpp"

#include <string>

namespace lbha::state {

namespace {

class category : public std::error_category {
 public:
  const char* name() const noexcept override { return "lbha.state"; }
  std::string message(int e) const override {
    switch (static_cast<errc>(e)) {
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
};

}  // namespace

const std::error_category& state_category() {
  static const category instance;
  return instance;
}

}  // namespace lbha::state
