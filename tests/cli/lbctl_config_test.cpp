// lbctl config validate / show and version, run in process through run_lbctl().
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/exit_codes.hpp"
#include "common/config/config.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::cli {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

struct lbctl_run {
  int code;
  std::string out;
  std::string err;
};

lbctl_run lbctl(std::vector<std::string> args) {
  args.insert(args.begin(), "lbctl");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_lbctl(static_cast<int>(argv.size()), argv.data(), out, err);
  return {code, out.str(), err.str()};
}

class lbctl_config : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lbctl-test-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  fs::path dir_;
};

constexpr const char* good_cluster =
    "virtual_services:\n"
    "  - label: IIS_VIP\n"
    "    ip: 192.0.2.10\n"
    "    ports: 443\n"
    "    real_servers:\n"
    "      - {label: IIS1, ip: 192.0.2.21}\n"
    "      - {label: IIS2, ip: 192.0.2.22}\n";

TEST_F(lbctl_config, validate_valid_cluster_file) {
  const auto file = write("cluster.yaml", good_cluster);
  const auto run = lbctl({"config", "validate", file});
  EXPECT_EQ(run.code, exit_code::ok);
  EXPECT_EQ(run.out, file + ": valid (1 virtual service, 2 real servers)\n");
  EXPECT_EQ(run.err, "");
}

TEST_F(lbctl_config, validate_prints_every_error_and_fails) {
  const auto file = write("cluster.yaml",
                          "virtual_services:\n"
                          "  - label: A\n"
                          "    ip: 192.0.2.300\n"
                          "    ports: 443\n"
                          "    real_servers:\n"
                          "      - {label: R1, ip: 192.0.2.21, weight: 500}\n");
  const auto run = lbctl({"config", "validate", file});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, file +
                         ":3: virtual_services[0].ip: not an IPv4 or IPv6 address: "
                         "'192.0.2.300'\n" +
                         file +
                         ":6: virtual_services[0].real_servers[0].weight: must be "
                         "0..256, got 500\n" +
                         file + ": 2 errors\n");
}

TEST_F(lbctl_config, validate_detects_node_files_by_their_keys) {
  const auto file = write("lb1.yaml", "node_name: lb1\ninterface: eth0\npriority: 300\n");
  const auto run = lbctl({"config", "validate", file});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_THAT(run.err, HasSubstr(file + ":3: priority: must be 1..255, got 300\n"));

  const auto good = write("lb2.yaml", "node_name: lb2\ninterface: eth0\n");
  const auto ok = lbctl({"config", "validate", good});
  EXPECT_EQ(ok.code, exit_code::ok);
  EXPECT_EQ(ok.out, good + ": valid (node lb2)\n");
}

TEST_F(lbctl_config, validate_kind_flags_override_detection) {
  const auto file = write("cluster.yaml", good_cluster);
  const auto run = lbctl({"config", "validate", "--node", file});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_THAT(run.err, HasSubstr(file + ":1: virtual_services: unknown key 'virtual_services'"));
  EXPECT_THAT(run.err, HasSubstr("node_name: required key is missing"));
}

TEST_F(lbctl_config, validate_json_output) {
  const auto file = write("cluster.yaml", "ha:\n  deadtime: 150ms\n");
  const auto run = lbctl({"--json", "config", "validate", file});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_EQ(run.out, "{\"file\": \"" + file +
                         "\", \"kind\": \"cluster\", \"valid\": false, \"errors\": [{\"file\": \"" +
                         file +
                         "\", \"line\": 2, \"key\": \"ha.deadtime\", \"message\": \"must be more "
                         "than 2 x interval (200ms), got 150ms\"}]}\n");
  // Global options may also come after the subcommand.
  const auto good = write("good.yaml", good_cluster);
  const auto after = lbctl({"config", "validate", good, "--json"});
  EXPECT_EQ(after.code, exit_code::ok);
  EXPECT_THAT(after.out,
              HasSubstr("\"valid\": true, \"virtual_services\": 1, \"real_servers\": 2"));
}

TEST_F(lbctl_config, validate_unreadable_file_fails) {
  const auto run = lbctl({"config", "validate", (dir_ / "missing.yaml").string()});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_THAT(run.err, HasSubstr("missing.yaml: cannot read"));
}

TEST_F(lbctl_config, usage_errors_exit_2) {
  EXPECT_EQ(lbctl({"config", "validate"}).code, exit_code::usage);
  EXPECT_EQ(lbctl({"config"}).code, exit_code::usage);
  EXPECT_EQ(lbctl({}).code, exit_code::usage);
  EXPECT_EQ(lbctl({"frobnicate"}).code, exit_code::usage);
  const auto file = write("cluster.yaml", good_cluster);
  EXPECT_EQ(lbctl({"config", "validate", "--node", "--cluster", file}).code, exit_code::usage);
  EXPECT_EQ(lbctl({"config", "validate", "--bogus", file}).code, exit_code::usage);
}

TEST_F(lbctl_config, help_shows_an_example_and_exits_0) {
  const auto run = lbctl({"config", "validate", "--help"});
  EXPECT_EQ(run.code, exit_code::ok);
  EXPECT_THAT(run.out, HasSubstr("Example:\n  lbctl config validate /etc/lbha/cluster.yaml"));
  const auto show = lbctl({"config", "show", "--help"});
  EXPECT_EQ(show.code, exit_code::ok);
  EXPECT_THAT(show.out, HasSubstr("Example:\n  lbctl config show"));
}

TEST_F(lbctl_config, show_prints_normalized_yaml_with_defaults) {
  write("cluster.yaml", good_cluster);
  const auto run = lbctl({"--config-dir", dir_.string(), "config", "show"});
  ASSERT_EQ(run.code, exit_code::ok) << run.err;
  EXPECT_THAT(run.out, HasSubstr("deadtime: 1s"));
  EXPECT_THAT(run.out, HasSubstr("balance: leastconn"));
  EXPECT_THAT(run.out, HasSubstr("weight: 100"));
  // What show prints is itself a valid config equal to the original.
  const auto again = config::parse_cluster_config(run.out, "shown");
  ASSERT_TRUE(again) << again.error().message();
  const auto original = config::parse_cluster_config(good_cluster, "original");
  EXPECT_EQ(config::to_yaml(again.value()), config::to_yaml(original.value()));
}

TEST_F(lbctl_config, show_json_and_show_of_a_bad_file) {
  const auto file = write("node.yaml", "node_name: lb1\ninterface: eth0\n");
  const auto run = lbctl({"--json", "config", "show", file});
  ASSERT_EQ(run.code, exit_code::ok) << run.err;
  EXPECT_THAT(run.out, HasSubstr("\"node_name\": \"lb1\""));
  EXPECT_THAT(run.out, HasSubstr("\"heartbeat\": 6694"));

  const auto bad = write("bad.yaml", "ha:\n  interval: soon\n");
  const auto failed = lbctl({"config", "show", bad});
  EXPECT_EQ(failed.code, exit_code::failed);
  EXPECT_THAT(failed.err, HasSubstr(bad + ":2: ha.interval: expected a duration"));
  EXPECT_EQ(failed.out, "");
}

TEST(lbctl_version, prints_the_project_version) {
  const auto run = lbctl({"version"});
  EXPECT_EQ(run.code, exit_code::ok);
  EXPECT_THAT(run.out, ::testing::MatchesRegex("lbctl [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  EXPECT_THAT(lbctl({"--json", "version"}).out, HasSubstr("{\"version\": \""));
}

TEST(deploy_examples, load_without_errors) {
  const fs::path deploy = lbha::test_support::in_build_tree(LBHA_SOURCE_DIR) / "deploy";
  const auto cluster = config::load_cluster_config(deploy / "cluster.yaml.example");
  ASSERT_TRUE(cluster) << cluster.error().message();
  EXPECT_EQ(cluster.value().virtual_services_size(), 2);
  EXPECT_EQ(cluster.value().virtual_services(0).label(), "IIS_VIP");
  EXPECT_EQ(cluster.value().virtual_services(1).timeouts().client_ms(), 300'000u);
  const auto node = config::load_node_config(deploy / "node.yaml.example");
  ASSERT_TRUE(node) << node.error().message();
  EXPECT_EQ(node.value().node_name(), "lb1");
  // lbctl agrees, detecting each kind by its keys.
  EXPECT_EQ(lbctl({"config", "validate", (deploy / "node.yaml.example").string()}).code,
            exit_code::ok);
  EXPECT_EQ(lbctl({"config", "validate", (deploy / "cluster.yaml.example").string()}).out,
            (deploy / "cluster.yaml.example").string() +
                ": valid (2 virtual services, 4 real servers)\n");
}

}  // namespace
}  // namespace lbha::cli
