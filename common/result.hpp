// result<T>: a value or an error_code (Boost.Outcome), for expected failures.
//
// Broken invariants are not results: they crash loudly. Network errors, bad
// input and bad configs are results, so callers must look at them.
#pragma once

#include <string>
#include <system_error>

#include <boost/outcome/std_result.hpp>

namespace lbha {

template <typename T>
using result = boost::outcome_v2::std_result<T>;

using boost::outcome_v2::success;

// An error with a human-readable message for the operator. Used where an
// error_code alone would lose the detail (which file, which key, which peer).
struct error_message {
  std::error_code code;
  std::string message;
};

}  // namespace lbha
