// Where the built programs are.
//
// A lab test runs the project's own binaries (lbha-lab-server, the daemons).
// CMake knows their paths; a test passes them in as compile definitions,
//
//   target_compile_definitions(my_lab_tests PRIVATE
//     LBHA_PROXYD_PATH="$<TARGET_FILE:lbha-proxyd>")
//
// (and add_dependencies(my_lab_tests lbha-proxyd) so ctest never runs a stale
// or missing binary), then calls built_binary(LBHA_PROXYD_PATH), which checks
// the file is there and executable and says which target to build if not.
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
