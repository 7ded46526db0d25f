// lbha-heartbeatd --check, the built binary: beyond node.yaml and
// cluster.yaml it refuses what the daemon itself would refuse to start or
// reload with (the heartbeat keyring and the pairing), and says which file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/support/daemon_check.hpp"

namespace lbha::heartbeat {
namespace {

using lbha::test_support::run_check;

class heartbeatd_check_test : public ::testing::Test {
 protected:
  void SetUp() override {
    lbha::test_support::write_test_node_yaml(dir_);
    std::filesystem::create_directories(dir_ / "state");
  }
  lbha::test_support::check_result check() { return run_check(LBHA_HEARTBEATD_PATH, dir_); }
  void write_key(const std::string& text) {
    const auto path = dir_ / "state" / "heartbeat.key";
    std::ofstream(path) << text;
    ::chmod(path.c_str(), 0600);
  }

  lbha::test_support::scratch_dir scratch_{"hb-check"};
  const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(heartbeatd_check_test, a_garbled_heartbeat_key_is_refused_with_its_file_and_line) {
  write_key("1 abcd\n");
  auto r = check();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find((dir_ / "state" / "heartbeat.key").string() + ": line 1: secret shorter"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(heartbeatd_check_test, a_key_without_a_pairing_is_refused_and_no_key_is_ok) {
  write_key("1 " + std::string(64, 'a') + "\n");
  auto r = check();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("a heartbeat key but no node id"), std::string::npos) << r.err;

  std::filesystem::remove(dir_ / "state" / "heartbeat.key");
  r = check();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run")) << "no socket, no run directory";
}

}  // namespace
}  // namespace lbha::heartbeat
