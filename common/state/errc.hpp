// Why a state-dir file could not be read or written.
#pragma once

#include <system_error>

namespace lbha::state {

enum class errc {
  unreadable = 1,  // exists but cannot be read (permissions, I/O)
  garbled,         // read, but not in the file's format
  insecure_mode,   // a secret readable by group or others
  unwritable,      // cannot be written or removed
};

const std::error_category& state_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), state_category()}; }

}  // namespace lbha::state

template <>
struct std::is_error_code_enum<lbha::state::errc> : std::true_type {};
