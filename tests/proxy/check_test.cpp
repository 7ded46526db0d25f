// lbha-proxyd --check, the built binary as the unit's ExecReload runs it:
// the errors of a broken cluster.yaml with file, line and key on stderr and
// exit 1; one OK line and exit 0 once fixed; no socket or directory made.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace lbha::proxy {
namespace {

struct run_result {
  int status = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class proxyd_check_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbha-check-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "etc");
    std::ofstream(dir_ / "node.yaml")
        << "node_name: lb1\ninterface: lo\nlocal_addresses: [192.0.2.1]\n"
           "peer_addresses: [192.0.2.2]\ndirectories: {config_dir: "
        << (dir_ / "etc").string() << ", state_dir: " << (dir_ / "state").string()
        << ", run_dir: " << (dir_ / "run").string() << "}\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  run_result check() {
    // A stream, not operator+: g++ 12 -O2 warns (-Warray-bounds) on that chain.
    std::ostringstream command;
    command << LBHA_PROXYD_PATH << " --check --node-config " << (dir_ / "node.yaml").string()
            << " >" << (dir_ / "out").string() << " 2>" << (dir_ / "err").string();
    run_result r;
    const int status = std::system(command.str().c_str());
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(dir_ / "out");
    r.err = read_all(dir_ / "err");
    return r;
  }

  std::filesystem::path dir_;
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

}  // namespace
}  // namespace lbha::proxy
