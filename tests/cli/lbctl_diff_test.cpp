// `lbctl config diff`, and the diff that `apply` and every --dry-run show:
// the pure diff against golden files, then the commands run in process.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/config_diff.hpp"
#include "cli/exit_codes.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "tests/cli/golden.hpp"

namespace lbha::cli {
namespace {

namespace fs = std::filesystem;

// The seed's deployment as committed (generation 7).
constexpr const char* committed_yaml =
    "generation: 7\n"
    "term: 2\n"
    "virtual_services:\n"
    "  - label: IIS_VIP\n"
    "    ip: 192.0.2.100\n"
    "    ports: 443\n"
    "    persistence: {mode: source_ip}\n"
    "    check: {type: connect}\n"
    "    real_servers:\n"
    "      - {label: IIS1, ip: 192.0.2.21}\n"
    "      - {label: IIS2, ip: 192.0.2.22}\n"
    "  - label: DA_VIP\n"
    "    ip: 192.0.2.101\n"
    "    ports: 9001\n"
    "    persistence: {mode: none}\n"
    "    timeouts: {client: 5m, server: 5m}\n"
    "    real_servers:\n"
    "      - {label: DA1, ip: 192.0.2.31, port: 9001}\n"
    "      - {label: DA2, ip: 192.0.2.32, port: 9001}\n";

// A proposal touching each kind of change: a cluster setting, a service
// field, a real server's fields, a server added and one removed, a service
// added and one removed. Its generation is ignored.
constexpr const char* proposed_yaml =
    "generation: 1\n"
    "ha: {deadtime: 2s}\n"
    "virtual_services:\n"
    "  - label: IIS_VIP\n"
    "    ip: 192.0.2.100\n"
    "    ports: 443\n"
    "    persistence: {mode: source_ip, timeout: 1h}\n"
    "    check: {type: connect}\n"
    "    real_servers:\n"
    "      - {label: IIS1, ip: 192.0.2.21, weight: 50, state: drain}\n"
    "      - {label: IIS3, ip: 192.0.2.23}\n"
    "  - label: WEB_VIP\n"
    "    ip: 192.0.2.102\n"
    "    ports: [80, 8080]\n"
    "    balance: roundrobin\n"
    "    real_servers:\n"
    "      - {label: WEB1, ip: 192.0.2.41, port: 8000}\n";

v1::ClusterConfig parse(const char* yaml) {
  auto parsed = config::parse_cluster_config(yaml, "test.yaml");
  if (!parsed) {
    ADD_FAILURE() << parsed.error().message();
    return {};
  }
  return parsed.value();
}

TEST(config_diff, every_kind_of_change_golden) {
  const auto changes = diff_configs(parse(committed_yaml), parse(proposed_yaml));
  expect_golden("diff.txt", render_diff(changes));
  expect_golden("diff.json", diff_json(changes) + "\n");
}

TEST(config_diff, defaults_written_out_or_left_out_are_no_change) {
  const auto committed = parse(committed_yaml);
  // The same config as `lbctl config show` writes it: every default spelled out.
  auto shown = committed;
  shown.set_generation(8);
  shown.set_term(3);
  EXPECT_TRUE(diff_configs(committed, parse(config::to_yaml(shown).c_str())).empty());
  EXPECT_EQ(render_diff({}), "no changes\n");
  EXPECT_EQ(diff_json({}), "[]");
}

TEST(config_diff, a_halted_real_server_is_one_line) {
  const auto committed = parse(committed_yaml);
  auto halted = committed;
  halted.mutable_virtual_services(1)->mutable_real_servers(0)->set_state(
      v1::REAL_SERVER_STATE_HALT);
  EXPECT_EQ(render_diff(diff_configs(committed, halted)),
            "~ virtual service DA_VIP\n"
            "~     real server DA1: state online -> halt\n");
}

TEST(config_diff, a_new_node_diffs_against_nothing) {
  const auto changes = diff_configs(v1::ClusterConfig{}, parse(committed_yaml));
  const auto text = render_diff(changes);
  EXPECT_EQ(text.rfind("+ virtual service IIS_VIP\n+     ip: 192.0.2.100\n", 0), 0u) << text;
  EXPECT_NE(
      text.find("+     real server DA2: ip 192.0.2.32, port 9001, weight 100, state online\n"),
      std::string::npos)
      << text;
}

struct lbctl_run {
  int code;
  std::string out;
  std::string err;
};

class lbctl_config_diff : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lbctl_diff_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    write("cluster.yaml", committed_yaml);
    proposed_ = write("proposed.yaml", proposed_yaml);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    EXPECT_TRUE(write_file_atomically(dir_ / name, text).has_value());
    return (dir_ / name).string();
  }

  // lbctl with this test's dir as config and run dir; `in` is its stdin.
  lbctl_run lbctl(std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), "lbctl");
    for (const char* option : {"--config-dir", "--run-dir"}) {
      args.push_back(option);
      args.push_back(dir_.string());
    }
    std::vector<const char*> argv;
    for (const auto& arg : args) argv.push_back(arg.c_str());
    std::ostringstream out, err;
    std::istringstream input(in);
    const int code = run_lbctl(static_cast<int>(argv.size()), argv.data(), out, err, input);
    return {code, out.str(), err.str()};
  }

  // Output with the temp dir replaced by DIR, for golden files.
  std::string portable(std::string text) const {
    for (auto at = text.find(dir_.string()); at != std::string::npos;
         at = text.find(dir_.string())) {
      text.replace(at, dir_.string().size(), "DIR");
    }
    return text;
  }

  fs::path dir_;
  std::string proposed_;
};

TEST_F(lbctl_config_diff, file_against_the_committed_config) {
  auto run = lbctl({"config", "diff", proposed_});
  EXPECT_EQ(run.code, exit_code::ok) << run.err;
  EXPECT_EQ(run.err, "");
  expect_golden("config_diff.txt", portable(run.out));
  // --exit-code: 1 when something differs, 0 when nothing does.
  EXPECT_EQ(lbctl({"config", "diff", "--exit-code", proposed_}).code, exit_code::failed);
  auto same = lbctl({"config", "diff", "--exit-code", (dir_ / "cluster.yaml").string()});
  EXPECT_EQ(same.code, exit_code::ok);
  EXPECT_EQ(portable(same.out),
            "--- DIR/cluster.yaml (generation 7)\n+++ DIR/cluster.yaml\nno changes\n");
}

TEST_F(lbctl_config_diff, two_files_stdin_and_json) {
  const auto old_file = write("old.yaml", committed_yaml);
  auto two = lbctl({"config", "diff", old_file, proposed_});
  EXPECT_EQ(two.code, exit_code::ok);
  EXPECT_EQ(
      portable(two.out).rfind(
          "--- DIR/old.yaml (generation 7)\n+++ DIR/proposed.yaml\n~ ha.deadtime: 1s -> 2s\n", 0),
      0u)
      << two.out;

  auto piped = lbctl({"config", "diff"}, proposed_yaml);
  EXPECT_EQ(piped.code, exit_code::ok) << piped.err;
  EXPECT_NE(piped.out.find("+++ (stdin)\n~ ha.deadtime: 1s -> 2s\n"), std::string::npos)
      << piped.out;
  EXPECT_EQ(lbctl({"config", "diff", "-"}, proposed_yaml).out, piped.out);

  auto json = lbctl({"--json", "config", "diff", proposed_});
  EXPECT_EQ(json.code, exit_code::ok);
  expect_golden("config_diff.json", portable(json.out));
}

TEST_F(lbctl_config_diff, invalid_or_missing_files_name_the_problem) {
  const auto bad = write("bad.yaml",
                         "virtual_services:\n"
                         "  - {label: X, ip: 192.0.2.300, ports: 80}\n");
  auto run = lbctl({"config", "diff", bad});
  EXPECT_EQ(run.code, exit_code::failed);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, bad +
                         ":2: virtual_services[0].ip: not an IPv4 or IPv6 address: "
                         "'192.0.2.300'\n");
  auto missing = lbctl({"config", "diff", (dir_ / "nope.yaml").string()});
  EXPECT_EQ(missing.code, exit_code::failed);
  EXPECT_EQ(missing.err.rfind("lbctl: cannot read " + (dir_ / "nope.yaml").string() + ": ", 0), 0u)
      << missing.err;
  EXPECT_EQ(lbctl({"config", "diff", "a", "b", "c"}).code, exit_code::usage);
}

TEST_F(lbctl_config_diff, fresh_node_without_cluster_yaml_diffs_against_nothing) {
  fs::remove(dir_ / "cluster.yaml");
  auto run = lbctl({"config", "diff", proposed_});
  EXPECT_EQ(run.code, exit_code::ok) << run.err;
  EXPECT_NE(run.out.find("(generation 0)\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("+ virtual service IIS_VIP\n"), std::string::npos) << run.out;
}

TEST_F(lbctl_config_diff, apply_dry_run_validates_and_shows_the_diff_without_a_daemon) {
  // No replicatord socket in the run dir: a dry run needs none.
  auto run = lbctl({"apply", "-f", proposed_, "--dry-run"});
  EXPECT_EQ(run.code, exit_code::ok) << run.err;
  expect_golden("apply_dry_run.txt", run.out);
  auto json = lbctl({"--json", "apply", "-f", proposed_, "--dry-run"});
  EXPECT_EQ(json.code, exit_code::ok);
  EXPECT_EQ(json.out.rfind("{\"changes\": [\n  {\"change\": \"changed\", ", 0), 0u) << json.out;
  EXPECT_NE(json.out.find("\"dry_run\": true, \"result\": null}\n"), std::string::npos);

  // An invalid file is refused before any diff, naming its line.
  const auto bad = write("bad.yaml",
                         "virtual_services:\n"
                         "  - {label: X, ip: 192.0.2.9, ports: 70000}\n");
  auto refused = lbctl({"apply", "-f", bad, "--dry-run"});
  EXPECT_EQ(refused.code, exit_code::failed);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find(bad + ":2: virtual_services[0].ports"), std::string::npos)
      << refused.err;
}

TEST_F(lbctl_config_diff, edit_dry_runs_show_the_proposed_change) {
  auto add =
      lbctl({"rip", "add", "DA_VIP", "DA3", "--ip", "192.0.2.33", "--port", "9001", "--dry-run"});
  EXPECT_EQ(add.code, exit_code::ok) << add.err;
  EXPECT_EQ(add.out,
            "~ virtual service DA_VIP\n"
            "+     real server DA3: ip 192.0.2.33, port 9001, weight 100, state online\n"
            "valid; nothing committed (--dry-run)\n");
  auto modify = lbctl({"vip", "modify", "DA_VIP", "--client-timeout", "10m", "--dry-run"});
  EXPECT_EQ(modify.out,
            "~ virtual service DA_VIP\n"
            "~     timeouts.client: 5m -> 10m\n"
            "valid; nothing committed (--dry-run)\n");
  auto remove = lbctl({"vip", "delete", "IIS_VIP", "--dry-run"});
  EXPECT_EQ(remove.out,
            "- virtual service IIS_VIP: 192.0.2.100 ports 443, 2 real servers\n"
            "valid; nothing committed (--dry-run)\n");
  // A dry run whose result is invalid says why, like the real thing.
  auto conflict =
      lbctl({"vip", "add", "OTHER", "--ip", "192.0.2.101", "--ports", "9001", "--dry-run"});
  EXPECT_EQ(conflict.code, exit_code::failed);
  EXPECT_NE(conflict.err.find("192.0.2.101:9001 is already used by virtual service 'DA_VIP'"),
            std::string::npos)
      << conflict.err;
}

}  // namespace
}  // namespace lbha::cli
