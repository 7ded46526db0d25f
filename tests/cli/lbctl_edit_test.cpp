// vip / rip edits: command-line fields -> ClusterConfig, and the seed's
// sections 7.3/7.4 done command by command.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/config_edit.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"

namespace lbha::cli {
namespace {

v1::ClusterConfig seed_config() {
  v1::ClusterConfig config;
  EXPECT_EQ(add_vip(config, "IIS_VIP",
                    {{"ip", "192.0.2.100"},
                     {"ports", "443"},
                     {"persistence", "source_ip"},
                     {"check", "connect"}}),
            "");
  EXPECT_EQ(add_vip(config, "DA_VIP",
                    {{"ip", "192.0.2.101"},
                     {"ports", "9001"},
                     {"persistence", "none"},
                     {"client-timeout", "5m"},
                     {"server-timeout", "5m"}}),
            "");
  EXPECT_EQ(add_rip(config, "IIS_VIP", "IIS1", {{"ip", "192.0.2.21"}, {"weight", "100"}}), "");
  EXPECT_EQ(add_rip(config, "IIS_VIP", "IIS2", {{"ip", "192.0.2.22"}, {"weight", "100"}}), "");
  EXPECT_EQ(add_rip(config, "DA_VIP", "DA1", {{"ip", "192.0.2.31"}, {"port", "9001"}}), "");
  EXPECT_EQ(add_rip(config, "DA_VIP", "DA2", {{"ip", "192.0.2.32"}, {"port", "9001"}}), "");
  config::apply_defaults(config);
  return config;
}

TEST(lbctl_edit, seed_deployment_command_by_command_is_valid) {
  const auto config = seed_config();
  EXPECT_TRUE(config::validate(config).empty());
  ASSERT_EQ(config.virtual_services_size(), 2);
  const auto& iis = config.virtual_services(0);
  EXPECT_EQ(iis.ip(), "192.0.2.100");
  EXPECT_EQ(iis.ports(0).first(), 443u);
  EXPECT_EQ(iis.ports(0).last(), 443u);
  EXPECT_EQ(iis.persistence().mode(), v1::Persistence::MODE_SOURCE_IP);
  EXPECT_EQ(iis.check().type(), v1::HealthCheck::TYPE_CONNECT);
  EXPECT_EQ(iis.real_servers(1).weight(), 100u);
  EXPECT_EQ(iis.real_servers(1).port(), 0u);  // the VIP's port
  const auto& da = config.virtual_services(1);
  EXPECT_EQ(da.persistence().mode(), v1::Persistence::MODE_NONE);
  EXPECT_EQ(da.timeouts().client_ms(), 300000u);
  EXPECT_EQ(da.timeouts().server_ms(), 300000u);
  EXPECT_EQ(da.real_servers(0).port(), 9001u);
  EXPECT_EQ(da.real_servers(0).weight(), 100u);  // default
  EXPECT_EQ(da.real_servers(0).state(), v1::REAL_SERVER_STATE_ONLINE);
}

TEST(lbctl_edit, modify_changes_only_the_given_fields) {
  auto config = seed_config();
  ASSERT_EQ(modify_vip(config, "DA_VIP", {{"client-timeout", "10m"}, {"ports", "9001,9100-9110"}}),
            "");
  const auto& da = config.virtual_services(1);
  EXPECT_EQ(da.timeouts().client_ms(), 600000u);
  EXPECT_EQ(da.timeouts().server_ms(), 300000u);
  ASSERT_EQ(da.ports_size(), 2);
  EXPECT_EQ(da.ports(1).first(), 9100u);
  EXPECT_EQ(da.ports(1).last(), 9110u);
  EXPECT_EQ(da.ip(), "192.0.2.101");
  ASSERT_EQ(modify_rip(config, "IIS_VIP", "IIS2", {{"weight", "0"}}), "");
  EXPECT_EQ(config.virtual_services(0).real_servers(1).weight(), 0u);
  EXPECT_EQ(config.virtual_services(0).real_servers(1).ip(), "192.0.2.22");
  ASSERT_EQ(modify_vip(config, "IIS_VIP", {{"fallback", "[2001:db8::1]:8080"}}), "");
  EXPECT_EQ(config.virtual_services(0).fallback().ip(), "2001:db8::1");
  EXPECT_EQ(config.virtual_services(0).fallback().port(), 8080u);
  ASSERT_EQ(modify_vip(config, "IIS_VIP", {{"fallback", "none"}}), "");
  EXPECT_FALSE(config.virtual_services(0).has_fallback());
}

TEST(lbctl_edit, transparent_is_a_switch_shown_in_the_protocol_column) {
  auto config = seed_config();
  ASSERT_EQ(modify_vip(config, "DA_VIP", {{"transparent", "yes"}}), "");
  EXPECT_TRUE(config.virtual_services(1).transparent());
  EXPECT_FALSE(config.virtual_services(0).transparent());
  EXPECT_TRUE(config::validate(config).empty());
  const auto yaml = config::to_yaml(config);
  EXPECT_NE(yaml.find("transparent: true"), std::string::npos) << yaml;
  EXPECT_NE(render_vip_list(config).find("tcp transparent"), std::string::npos)
      << render_vip_list(config);
  EXPECT_EQ(modify_vip(config, "DA_VIP", {{"transparent", "maybe"}}),
            "invalid --transparent maybe: expected yes or no");
  // With send_proxy it is refused by validation, with the key named.
  ASSERT_EQ(modify_vip(config, "DA_VIP", {{"send-proxy", "v2"}}), "");
  const auto errors = config::validate(config);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].key, "virtual_services[1].transparent");
  ASSERT_EQ(modify_vip(config, "DA_VIP", {{"transparent", "no"}}), "");
  EXPECT_FALSE(config.virtual_services(1).transparent());
  EXPECT_TRUE(config::validate(config).empty());
}

TEST(lbctl_edit, failover_mode_and_check_counts_are_set_and_round_trip_through_yaml) {
  auto config = seed_config();
  ASSERT_EQ(modify_rip(config, "DA_VIP", "DA2", {{"backup", "yes"}}), "");
  ASSERT_EQ(modify_vip(config, "DA_VIP",
                       {{"all-backups", "on"}, {"check-rise", "1"}, {"check-fall", "2"}}),
            "");
  const auto& da = config.virtual_services(1);
  EXPECT_FALSE(da.real_servers(0).backup());
  EXPECT_TRUE(da.real_servers(1).backup());
  EXPECT_TRUE(da.all_backups());
  EXPECT_EQ(da.check().rise(), 1u);
  EXPECT_EQ(da.check().fall(), 2u);
  EXPECT_TRUE(config::validate(config).empty());
  // cluster.yaml as lbctl writes it reads back to the same config.
  const auto yaml = config::to_yaml(config);
  EXPECT_NE(yaml.find("backup: true"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("all_backups: true"), std::string::npos) << yaml;
  auto read = config::parse_cluster_config(yaml, "cluster.yaml");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read.value().SerializeAsString(), config.SerializeAsString());
  EXPECT_NE(render_rip_list(da).find("backup"), std::string::npos);
  // Back to a primary.
  ASSERT_EQ(modify_rip(config, "DA_VIP", "DA2", {{"backup", "no"}}), "");
  EXPECT_FALSE(config.virtual_services(1).real_servers(1).backup());
  EXPECT_EQ(modify_rip(config, "DA_VIP", "DA2", {{"backup", "maybe"}}),
            "invalid --backup maybe: expected yes or no");
  EXPECT_EQ(modify_vip(config, "DA_VIP", {{"check-rise", "0"}}),
            "invalid --check-rise 0: must be 1..100");
}

TEST(lbctl_edit, every_check_field_has_an_option) {
  auto config = seed_config();
  ASSERT_EQ(modify_vip(config, "IIS_VIP",
                       {{"check", "https"},
                        {"check-path", "/health"},
                        {"check-expect", "IIS is up"},
                        {"check-expect-status", "200-299"},
                        {"check-host", "iis.example.org"},
                        {"check-verify", "yes"},
                        {"check-ca-file", "/etc/lbha/iis-ca.pem"}}),
            "");
  const auto& check = config.virtual_services(0).check();
  EXPECT_EQ(check.type(), v1::HealthCheck::TYPE_HTTPS);
  EXPECT_EQ(check.expect_status(), "200-299");
  EXPECT_TRUE(check.verify());
  EXPECT_EQ(check.ca_file(), "/etc/lbha/iis-ca.pem");
  EXPECT_TRUE(config::validate(config).empty());
  auto read = config::parse_cluster_config(config::to_yaml(config), "cluster.yaml");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read.value().SerializeAsString(), config.SerializeAsString());

  ASSERT_EQ(
      modify_vip(config, "DA_VIP",
                 {{"check", "external"}, {"check-command", "/usr/local/bin/check-da  --deep"}}),
      "");
  const auto& da = config.virtual_services(1).check();
  ASSERT_EQ(da.command_size(), 2);
  EXPECT_EQ(da.command(0), "/usr/local/bin/check-da");
  EXPECT_EQ(da.command(1), "--deep");
  EXPECT_TRUE(config::validate(config).empty());
  read = config::parse_cluster_config(config::to_yaml(config), "cluster.yaml");
  ASSERT_TRUE(read) << read.error().message();
  EXPECT_EQ(read.value().SerializeAsString(), config.SerializeAsString());

  EXPECT_EQ(modify_vip(config, "DA_VIP", {{"check-command", "check-da"}}),
            "invalid --check-command check-da: the program's absolute path, then its arguments");
  EXPECT_EQ(modify_vip(config, "IIS_VIP", {{"check-expect-status", "2xx"}}),
            "invalid --check-expect-status 2xx: expected a status code (200) or a range "
            "(200-299) in 100..599");
}

TEST(lbctl_edit, delete_removes_and_unknown_labels_are_named) {
  auto config = seed_config();
  EXPECT_EQ(delete_rip(config, "DA_VIP", "DA2"), "");
  EXPECT_EQ(config.virtual_services(1).real_servers_size(), 1);
  EXPECT_EQ(delete_rip(config, "DA_VIP", "DA2"), "unknown real server DA2 in DA_VIP (known: DA1)");
  EXPECT_EQ(delete_vip(config, "DA_VIP"), "");
  EXPECT_EQ(delete_vip(config, "DA_VIP"), "unknown virtual service DA_VIP (known: IIS_VIP)");
  EXPECT_EQ(modify_vip(config, "NOPE", {{"ip", "192.0.2.9"}}),
            "unknown virtual service NOPE (known: IIS_VIP)");
  EXPECT_EQ(add_rip(config, "NOPE", "X", {{"ip", "192.0.2.9"}}),
            "unknown virtual service NOPE (known: IIS_VIP)");
}

TEST(lbctl_edit, bad_values_are_one_line_naming_the_value) {
  auto config = seed_config();
  const auto before = config.SerializeAsString();
  EXPECT_EQ(add_vip(config, "IIS_VIP", {{"ip", "192.0.2.9"}, {"ports", "80"}}),
            "duplicate virtual service label IIS_VIP");
  EXPECT_EQ(add_rip(config, "IIS_VIP", "IIS1", {{"ip", "192.0.2.9"}}),
            "duplicate real server label IIS1 in IIS_VIP");
  EXPECT_EQ(add_vip(config, "X", {{"ip", "192.0.2.300"}, {"ports", "80"}}),
            "invalid --ip 192.0.2.300: not an IPv4 or IPv6 address");
  EXPECT_EQ(add_vip(config, "X", {{"ip", "192.0.2.9"}, {"ports", "70000"}}),
            "invalid --ports 70000: ports are 1..65535, ranges low-high");
  EXPECT_NE(add_vip(config, "X", {{"ip", "192.0.2.9"}, {"ports", "http"}}).find("--ports http"),
            std::string::npos);
  EXPECT_EQ(add_vip(config, "X", {{"ip", "192.0.2.9"}, {"ports", "80"}, {"persistence", "cookie"}}),
            "invalid --persistence cookie: expected none|source_ip");
  EXPECT_NE(add_vip(config, "X", {{"ip", "192.0.2.9"}, {"ports", "80"}, {"client-timeout", "5x"}})
                .find("invalid --client-timeout 5x"),
            std::string::npos);
  EXPECT_EQ(add_vip(config, "X", {{"ports", "80"}}), "vip add X: --ip is required");
  EXPECT_EQ(add_vip(config, "bad label", {{"ip", "192.0.2.9"}, {"ports", "80"}})
                .rfind("invalid virtual service label bad label", 0),
            0u);
  EXPECT_EQ(add_rip(config, "IIS_VIP", "IIS3", {{"ip", "192.0.2.23"}, {"weight", "300"}}),
            "invalid --weight 300: must be 0..256");
  EXPECT_EQ(add_rip(config, "IIS_VIP", "IIS3", {{"ip", "192.0.2.23"}, {"port", "-1"}}),
            "invalid --port -1: must be 0..65535");
  // A failed edit leaves the config as it was.
  EXPECT_EQ(config.SerializeAsString(), before);
}

TEST(lbctl_edit, conflicting_ip_port_is_caught_by_validate) {
  auto config = seed_config();
  ASSERT_EQ(add_vip(config, "OTHER", {{"ip", "192.0.2.100"}, {"ports", "400-500"}}), "");
  config::apply_defaults(config);
  const auto errors = config::validate(config);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().to_string().find("virtual_services[2]"), std::string::npos)
      << errors.front().to_string();
}

struct lbctl_run {
  int code;
  std::string out;
  std::string err;
};

lbctl_run run(std::vector<const char*> args) {
  args.insert(args.begin(), "lbctl");
  std::ostringstream out, err;
  const int code = run_lbctl(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

class lbctl_edit_commands : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbctl_edit_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(
        write_file_atomically(dir_ / "cluster.yaml", config::to_yaml(seed_config())).has_value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  lbctl_run lbctl(std::vector<const char*> args) {
    args.push_back("--config-dir");
    args.push_back(dir_.c_str());
    args.push_back("--run-dir");
    args.push_back(dir_.c_str());
    return run(args);
  }

  std::filesystem::path dir_;
};

TEST_F(lbctl_edit_commands, list_reads_the_committed_config) {
  auto vips = lbctl({"vip", "list"});
  EXPECT_EQ(vips.code, 0) << vips.err;
  EXPECT_EQ(vips.out,
            "LABEL    IP           PORTS  PROTOCOL  PERSISTENCE  BALANCE    CHECK    CLIENT  "
            "SERVER  REAL SERVERS\n"
            "IIS_VIP  192.0.2.100  443    tcp       source_ip    leastconn  connect  50s     "
            "50s     2\n"
            "DA_VIP   192.0.2.101  9001   tcp       none         leastconn  connect  5m      "
            "5m      2\n");
  auto rips = lbctl({"rip", "list", "DA_VIP"});
  EXPECT_EQ(rips.code, 0);
  EXPECT_EQ(rips.out,
            "LABEL  IP          PORT  WEIGHT  STATE   ROLE\n"
            "DA1    192.0.2.31  9001  100     online  primary\n"
            "DA2    192.0.2.32  9001  100     online  primary\n");
  auto unknown = lbctl({"rip", "list", "NOPE"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "lbctl: unknown virtual service NOPE (known: IIS_VIP, DA_VIP)\n");
}

TEST_F(lbctl_edit_commands, bad_input_fails_before_any_daemon_is_asked) {
  auto bad = lbctl({"rip", "add", "IIS_VIP", "IIS3", "--ip", "192.0.2.23", "--weight", "300"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.err, "lbctl: invalid --weight 300: must be 0..256\n");
  auto conflict = lbctl({"vip", "add", "OTHER", "--ip", "192.0.2.100", "--ports", "443"});
  EXPECT_EQ(conflict.code, 1);
  EXPECT_NE(conflict.err.find("192.0.2.100"), std::string::npos) << conflict.err;
  auto usage = lbctl({"vip", "add", "X", "--bogus", "1"});
  EXPECT_EQ(usage.code, 2);
  auto halt = lbctl({"halt", "DA_VIP", "DA9"});
  EXPECT_EQ(halt.code, 1);
  EXPECT_EQ(halt.err, "lbctl: unknown real server DA9 in DA_VIP (known: DA1, DA2)\n");
}

TEST_F(lbctl_edit_commands, valid_edit_without_replicatord_is_unreachable) {
  auto result = lbctl({"vip", "add", "WEB", "--ip", "192.0.2.102", "--ports", "80"});
  EXPECT_EQ(result.code, 3);
  EXPECT_NE(
      result.err.find("lbha-replicatord did not answer on " + (dir_ / "replicatord.sock").string()),
      std::string::npos)
      << result.err;
}

TEST(lbctl_completion, bash_script_covers_every_command) {
  auto result = run({"completion", "bash"});
  EXPECT_EQ(result.code, 0);
  for (const char* expected :
       {"[\"lbctl vip add\"]=", "--persistence", "[\"lbctl rip\"]=\"add modify delete list",
        "[\"lbctl ha status\"]", "complete -F _lbctl lbctl",
        "[\"lbctl\"]=\"config pair unpair apply replication status vip"}) {
    EXPECT_NE(result.out.find(expected), std::string::npos) << expected;
  }
  EXPECT_EQ(run({"completion", "zsh"}).code, 2);
}

// Sources the script in a real bash and asks it to complete a command line.
std::string complete(const std::string& script, const std::string& words, int cword) {
  const auto file = std::filesystem::temp_directory_path() / "lbctl_completion_test.bash";
  EXPECT_TRUE(write_file_atomically(file, script).has_value());
  const std::string command = "bash -c 'source " + file.string() + "; COMP_WORDS=(" + words +
                              "); COMP_CWORD=" + std::to_string(cword) +
                              "; _lbctl; echo \"${COMPREPLY[*]}\"'";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
  }
  std::filesystem::remove(file);
  return output;
}

TEST(lbctl_completion, bash_completes_subcommands_and_options) {
  const auto script = run({"completion", "bash"}).out;
  EXPECT_EQ(complete(script, "lbctl vi", 1), "vip\n");
  EXPECT_EQ(complete(script, "lbctl vip m", 2), "modify\n");
  EXPECT_EQ(complete(script, "lbctl vip add IIS_VIP --persistence-t", 4),
            "--persistence-timeout\n");
  EXPECT_EQ(complete(script, "lbctl make-active --f", 2), "--force\n");
  // Labels come from `lbctl vip list` on the node: none here (no lbctl on PATH
  // or no cluster.yaml), so nothing is offered rather than an error.
  EXPECT_EQ(complete(script, "lbctl halt D", 2), "\n");
}

TEST(lbctl_help, help_command_prints_a_command_help) {
  auto result = run({"help", "rip", "add"});
  EXPECT_EQ(result.code, 0);
  EXPECT_NE(result.out.find("lbctl rip add IIS_VIP IIS1 --ip 192.0.2.21 --weight 100"),
            std::string::npos)
      << result.out;
  EXPECT_EQ(run({"help", "nope"}).code, 2);
}

// The subcommands a `--help` output lists under "Subcommands:".
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  std::string line;
  bool in_list = false;
  while (std::getline(lines, line)) {
    if (line == "Subcommands:" || line == "SUBCOMMANDS:") {
      in_list = true;
    } else if (in_list && line.starts_with("  ")) {
      std::istringstream words(line);
      std::string name;
      words >> name;
      names.push_back(name);
    } else if (in_list) {
      in_list = false;
    }
  }
  return names;
}

// Every command and subcommand, reached from `lbctl --help` down: its help
// exits 0 and shows an example.
TEST(lbctl_help, every_subcommand_has_help_with_an_example) {
  std::vector<std::vector<std::string>> pending{{}};
  int checked = 0;
  while (!pending.empty()) {
    auto path = pending.back();
    pending.pop_back();
    std::vector<const char*> args;
    for (const auto& word : path) args.push_back(word.c_str());
    args.push_back("--help");
    const auto result = run(args);
    std::string name = "lbctl";
    for (const auto& word : path) name += " " + word;
    EXPECT_EQ(result.code, 0) << name;
    EXPECT_NE(result.out.find("Example"), std::string::npos) << name << ":\n" << result.out;
    EXPECT_NE(result.out.find("\n  " + name), std::string::npos)
        << name << ": the example should run this very command\n"
        << result.out;
    ++checked;
    for (const auto& sub : subcommands_in(result.out)) {
      auto next = path;
      next.push_back(sub);
      pending.push_back(next);
    }
  }
  EXPECT_GE(checked, 30);
}

}  // namespace
}  // namespace lbha::cli
