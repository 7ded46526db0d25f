// result<T>: a value or an error (Boost.Outcome), for expected failures.
//
// The one error style of lbha at module boundaries. An `error` is what went
// wrong as a code (each module has its own `enum class errc` and
// `std::error_category`, or the system's errno codes) plus, where the code
// alone would lose it, the detail the operator needs: which file, line and
// key, which peer, which daemon. Callers branch on `code()` and show
// `message()`.
//
// Broken invariants are not results: they crash loudly (reading the value of
// a failed result terminates). Network errors, bad input and bad configs are
// results, so callers must look at them.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>

#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>
#include <boost/outcome/success_failure.hpp>

namespace lbha {

class error {
 public:
  error() = default;  // Outcome needs it; a default error is never returned
  error(std::error_code code, std::string detail = {})
      : code_(code), detail_(std::move(detail)) {}
  template <typename E>
    requires std::is_error_code_enum_v<E>
  error(E e, std::string detail = {}) : error(make_error_code(e), std::move(detail)) {}
  // boost::system::error_code (Asio's) converts to std::error_code.
  template <typename E>
    requires(std::is_convertible_v<E, std::error_code> && !std::is_same_v<E, std::error_code> &&
             !std::is_error_code_enum_v<E>)
  error(const E& e, std::string detail = {})
      : error(static_cast<std::error_code>(e), std::move(detail)) {}
  error(std::errc e, std::string detail = {})
      : error(std::make_error_code(e), std::move(detail)) {}

  const std::error_code& code() const { return code_; }
  // The detail when there is one, else the code's own message.
  std::string message() const { return detail_.empty() ? code_.message() : detail_; }
  // The detail alone ("" when the code says it all).
  const std::string& detail() const { return detail_; }

  // The same error with `context` in front of its message: "context: message".
  error prefixed(std::string_view context) const {
    return error(code_, std::string(context) + ": " + message());
  }

  template <typename E>
    requires std::is_error_code_enum_v<E>
  friend bool operator==(const error& a, E e) {
    return a.code_ == make_error_code(e);
  }
  friend bool operator==(const error& a, std::errc e) {
    return a.code_ == std::make_error_code(e);
  }
  friend std::ostream& operator<<(std::ostream& out, const error& e) { return out << e.message(); }

 private:
  std::error_code code_;
  std::string detail_;
};

template <typename T>
using result = boost::outcome_v2::basic_result<T, error, boost::outcome_v2::policy::terminate>;

using boost::outcome_v2::failure;
using boost::outcome_v2::success;

// errno as an error, with an optional detail ("open /etc/lbha/node.yaml").
inline error errno_error(int e, std::string detail = {}) {
  error out(std::error_code(e, std::system_category()), {});
  return detail.empty() ? out : out.prefixed(detail);
}

}  // namespace lbha
