// lbha-proxyd --check, the built binary as the unit's ExecReload runs it:
// the errors of a broken cluster.yaml with file, line and key on stderr and
// exit 1; one OK line and exit 0 once fixed; no socket or directory made.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/support/daemon_check.hpp"

namespace lbha::proxy {
namespace {

using lbha::test_support::run_check;

class proxyd_check_test : public ::testing::Test {
 protected:
  void SetUp() override { lbha::test_support::write_test_node_yaml(dir_); }
  lbha::test_support::check_result check() { return run_check(LBHA_PROXYD_PATH, dir_); }

  lbha::test_support::scratch_dir scratch_{"check"};
  const std::filesystem::path dir_ = scratch_.path();
};

TEST_F(proxyd_check_test, a_broken_cluster_yaml_is_reported_with_file_line_and_key_and_exits_1) {
  std::ofstream(dir_ / "etc" / "cluster.yaml")
      << "generation: 1\nvirtual_services:\n  - label: web\n    ip: 192.0.2.100\n"
         "    ports: 80\n    real_servers:\n      - {label: rs1, ip: 192.0.2.21, weight: 300}\n";
  auto r = check();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find((dir_ / "etc" / "cluster.yaml").string() + ":7:"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("virtual_services[0].real_servers[0].weight"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run")) << "no socket, no directory";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "state"));

  std::ofstream(dir_ / "etc" / "cluster.yaml")
      << "generation: 1\nvirtual_services:\n  - label: web\n    ip: 192.0.2.100\n"
         "    ports: 80\n    real_servers:\n      - {label: rs1, ip: 192.0.2.21}\n";
  r = check();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << "one line";
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run"));
}

TEST_F(proxyd_check_test, a_broken_node_yaml_is_reported_and_exits_1) {
  std::ofstream(dir_ / "node.yaml") << "node_name: lb1\ninterface: lo\npriority: 900\n";
  auto r = check();
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find((dir_ / "node.yaml").string() + ":3:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("priority"), std::string::npos) << r.err;
}

TEST_F(proxyd_check_test, an_external_check_whose_program_this_node_lacks_is_refused) {
  const auto program = dir_ / "check-iis";
  std::ofstream(dir_ / "etc" / "cluster.yaml")
      << "generation: 1\nvirtual_services:\n  - label: IIS_VIP\n    ip: 192.0.2.100\n"
         "    ports: 443\n    check: {type: external, command: ["
      << program.string() << ", --deep]}\n    real_servers:\n      - {label: IIS1, ip: 192.0.2.21}\n";
  auto r = check();
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("IIS_VIP: external check " + program.string() + ": No such file"),
            std::string::npos)
      << r.err;
  std::ofstream(program) << "#!/bin/sh\nexit 0\n";
  std::filesystem::permissions(program, std::filesystem::perms::owner_all);
  r = check();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

}  // namespace
}  // namespace lbha::proxy
