#include "tests/lab/binaries.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "tests/lab/lab_error.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::lab {

std::filesystem::path built_binary(std::string_view cmake_path) {
  auto path = test_support::in_build_tree(cmake_path);
  if (const char* dir = std::getenv("LBHA_LAB_BIN_DIR"); dir && *dir) {
    path = std::filesystem::path(dir) / path.filename();
  }
  if (::access(path.c_str(), X_OK) != 0) {
    throw lab_error("binary " + path.string() + " is missing or not executable: build target " +
                    path.filename().string() + " first");
  }
  return path;
}

std::filesystem::path lab_server_binary() { return built_binary(LBHA_LAB_SERVER_PATH); }

}  // namespace lbha::lab
