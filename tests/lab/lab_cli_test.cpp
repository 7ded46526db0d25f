// lbha-lab, the command scripts/demo drives, run as a program: up, start,
// exec, partition, heal, link, down, each a separate process sharing a state file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "tests/lab/binaries.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab.hpp"
#include "tests/lab/naming.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

class lab_cli_test : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = why_lab_unavailable(); !why.empty()) GTEST_SKIP() << why;
    state_ = std::filesystem::temp_directory_path() /
             ("lbha-lab-cli-test-" + std::to_string(::getpid()) + ".yaml");
  }
  void TearDown() override {
    // Whatever the test got to, the lab goes.
    if (std::filesystem::exists(state_)) cli({"down"});
  }

  command_result cli(std::vector<std::string> args) {
    args.insert(args.begin(),
                {built_binary(LBHA_LAB_CLI_PATH).string(), "--state", state_.string()});
    return run_command(args, {.timeout = 20s});
  }

  std::filesystem::path state_;
};

TEST_F(lab_cli_test, up_exec_partition_heal_down) {
  const auto up = cli({"up", "--nodes", "1", "--servers", "1", "--clients", "1"});
  ASSERT_TRUE(up.ok()) << up.err;
  EXPECT_NE(up.out.find("rs1      server  192.0.2.21"), std::string::npos) << up.out;
  const auto prefix = lab::attach(state_)->prefix();
  EXPECT_EQ(run_namespaces(prefix).size(), 4u);

  // A second `up` on the same state file refuses instead of leaking the first lab.
  const auto again = cli({"up"});
  EXPECT_EQ(again.status.code, 1);
  EXPECT_NE(again.err.find("already up"), std::string::npos) << again.err;

  EXPECT_EQ(cli({"address", "rs1"}).out, "192.0.2.21\n");
  const auto started = cli({"start", "rs1", "http", "--", lab_server_binary().string(),
                            "192.0.2.21", "80", "--name", "rs1"});
  ASSERT_TRUE(started.ok()) << started.err;
  auto get = [&] {
    return cli({"exec", "client1", "--", "curl", "-sS", "--max-time", "1", "http://192.0.2.21/"});
  };
  ASSERT_TRUE(wait_until([&] { return get().ok(); }, 5s));
  EXPECT_EQ(get().out, "server rs1\n");

  // exec passes the command's exit code through.
  EXPECT_EQ(cli({"exec", "lb1", "--", "sh", "-c", "exit 7"}).status.code, 7);

  const auto cut = cli({"partition", "client1", "rs1", "--port", "tcp/80"});
  ASSERT_TRUE(cut.ok()) << cut.err;
  EXPECT_EQ(cut.out, "fault #1 client1 <-> rs1 tcp/80 drop 100%\n");
  EXPECT_FALSE(get().ok());
  EXPECT_NE(cli({"show"}).out.find("fault #1 client1 <-> rs1 tcp/80"), std::string::npos);
  ASSERT_TRUE(cli({"heal"}).ok());
  EXPECT_EQ(get().out, "server rs1\n");

  ASSERT_TRUE(cli({"link", "rs1", "down"}).ok());
  EXPECT_FALSE(get().ok());
  ASSERT_TRUE(cli({"link", "rs1", "up"}).ok());
  EXPECT_TRUE(wait_until([&] { return get().ok(); }, 5s));

  EXPECT_EQ(cli({"partition", "client1", "rs1", "--port", "icmp/1"}).status.code, 1);
  EXPECT_EQ(cli({"exec", "nosuchnode", "--", "true"}).status.code, 1);

  const auto down = cli({"down"});
  ASSERT_TRUE(down.ok()) << down.err;
  EXPECT_TRUE(run_namespaces(prefix).empty());
  EXPECT_FALSE(std::filesystem::exists(state_));
  EXPECT_EQ(run_command({"pgrep", "-f", "lbha-lab-server 192.0.2.21 80 --name rs1"}).status.code, 1)
      << "the server started by `lbha-lab start` survived `down`";
}

}  // namespace
}  // namespace lbha::lab
