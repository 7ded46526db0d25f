// outcome<T>: a value or an operator-facing message.
//
// Pairing and replication fail for reasons an operator must read (wrong
// password, host key changed, peer already paired), so the error is the
// message itself rather than an error_code. Reading the value of a failed
// outcome is a broken invariant and terminates.
#pragma once

#include <string>

#include <boost/outcome/result.hpp>

namespace lbha::pairing {

template <typename T>
using outcome =
    boost::outcome_v2::result<T, std::string, boost::outcome_v2::policy::terminate>;

using boost::outcome_v2::failure;
using boost::outcome_v2::success;

// A string value: Outcome cannot hold the same type as value and error.
struct text {
  std::string value;
};

}  // namespace lbha::pairing
