// Test scaffolding shared by the unit tests that need files: a directory of
// each test's own and a node.yaml whose directories point into it.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace lbha::test_support {

// <tmp>/lbha-<prefix>-<pid>-<test name>: empty when the test starts, removed
// when it ends (the test's name keeps parallel ctest runs apart).
class scratch_dir {
 public:
  explicit scratch_dir(std::string_view prefix)
      : path_(std::filesystem::temp_directory_path() /
              ("lbha-" + std::string(prefix) + "-" + std::to_string(::getpid()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

// Writes <dir>/node.yaml: lb1 on lo, its config, state and run directories
// <dir>/etc, <dir>/state and <dir>/run (only etc/ is made), then `extra`
// (whole YAML lines).
inline void write_test_node_yaml(const std::filesystem::path& dir, std::string_view extra = "") {
  std::filesystem::create_directories(dir / "etc");
  std::ofstream(dir / "node.yaml") << "node_name: lb1\ninterface: lo\nlocal_addresses: [192.0.2.1]\n"
                                      "peer_addresses: [192.0.2.2]\ndirectories: {config_dir: "
                                   << (dir / "etc").string()
                                   << ", state_dir: " << (dir / "state").string()
                                   << ", run_dir: " << (dir / "run").string() << "}\n"
                                   << extra;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace lbha::test_support
