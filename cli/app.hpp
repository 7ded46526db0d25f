// run_lbctl: the whole of lbctl as a function, so tests run commands in
// process and read what they print and the exit code they return.
#pragma once

#include <istream>
#include <ostream>

namespace lbha::cli {

// Parses argv, runs the chosen command and returns its exit code
// (cli/exit_codes.hpp). Usage errors print a hint to `err` and return 2.
int run_lbctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same, reading stdin from `in` (`lbctl config diff` of a piped file).
int run_lbctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
              std::istream& in);

}  // namespace lbha::cli
