// One std::error_category per module errc. A module gives its category a
// name ("lbha.proxy") and a function from its enum to a message; everything
// else a category needs is the same for every module, and lives here.
//
//   const std::error_category& proxy_category() {
//     static const enum_category<errc> instance("lbha.proxy", describe);
//     return instance;
//   }
#pragma once

#include <string>
#include <string_view>
#include <system_error>

namespace lbha {

template <typename Errc>
class enum_category final : public std::error_category {
 public:
  using describe_fn = std::string_view (*)(Errc);

  constexpr enum_category(const char* name, describe_fn describe)
      : name_(name), describe_(describe) {}

  const char* name() const noexcept override { return name_; }
  std::string message(int value) const override {
    return std::string(describe_(static_cast<Errc>(value)));
  }

 private:
  const char* name_;
  describe_fn describe_;
};

}  // namespace lbha
