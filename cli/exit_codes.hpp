// lbctl's exit codes, the one place they are defined. Scripts rely on them.
#pragma once

namespace lbha::cli::exit_code {

inline constexpr int ok = 0;           // the command did what was asked
inline constexpr int failed = 1;       // the operation failed (e.g. an invalid config)
inline constexpr int usage = 2;        // bad command line: unknown option, missing argument
inline constexpr int unreachable = 3;  // a local daemon did not answer on its socket

}  // namespace lbha::cli::exit_code
