// Where the build tree is, for the paths CMake hands the tests.
//
// CMake passes the tests the paths of built programs and of source files as
// compile definitions relative to the build tree's root (CMakeLists.txt:
// lbha_path_definitions, e.g. LBHA_PROXYD_PATH="proxy/lbha-proxyd",
// LBHA_SOURCE_DIR=".."), never absolute: a compile line is part of ccache's
// key, and CI builds a fresh clone, at a new path, every time.
// in_build_tree() makes such a path absolute. The root is the nearest
// directory above the running executable that holds CMakeCache.txt.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace lbha::test_support {

inline const std::filesystem::path& build_root() {
  static const std::filesystem::path root = [] {
    const auto exe = std::filesystem::read_symlink("/proc/self/exe");
    for (auto dir = exe.parent_path();; dir = dir.parent_path()) {
      if (std::filesystem::exists(dir / "CMakeCache.txt")) return dir;
      if (dir == dir.root_path()) {
        throw std::runtime_error(exe.string() + " is not in a build tree (no CMakeCache.txt above it)");
      }
    }
  }();
  return root;
}

// `path` as CMake gave it (relative to the build root), made absolute.
inline std::filesystem::path in_build_tree(std::string_view path) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : (build_root() / p).lexically_normal();
}

}  // namespace lbha::test_support
