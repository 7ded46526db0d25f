// Where the built programs are.
//
// A lab test runs the project's own binaries (lbha-lab-server, the daemons).
// CMake knows their paths; a test gets them as compile definitions relative
// to the build root (lbha_add_test's RUNS, or lbha_path_definitions:
// tests/support/build_tree.hpp), then calls built_binary(LBHA_PROXYD_PATH),
// which makes the path absolute, checks the file is there and executable and
// says which target to build if not.
// LBHA_LAB_BIN_DIR, when set, overrides the directory (e.g. to run the tests
// against an installed copy).
#pragma once

#include <filesystem>
#include <string_view>

namespace lbha::lab {

// The executable at `cmake_path` (or LBHA_LAB_BIN_DIR/<its file name>). Throws lab_error.
std::filesystem::path built_binary(std::string_view cmake_path);

// lbha-lab-server, the lab's HTTP / echo real server.
std::filesystem::path lab_server_binary();

}  // namespace lbha::lab
