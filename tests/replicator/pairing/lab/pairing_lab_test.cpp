// Pairing and config replication between two lab LB nodes over real SSH
// (tests/lab/ssh_pair: each node's own OpenSSH sshd and the `loadbalancer`
// login user), each with its own lbha-replicatord; the operator's side is lbctl.
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/pairing_state.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/ssh_pair.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::pairing {
namespace {

using namespace std::chrono_literals;
using lab::lab_error;

constexpr const char* login_user = lab::ssh_pair::login_user;

class pairing_lab_test : public lab::lab_test {
 protected:
  void SetUp() override {
    lab::lab_test::SetUp();
    if (IsSkipped()) return;
    lab_ = &make_lab({.lb_nodes = 2, .servers = 0, .clients = 0});
    ssh_ = std::make_unique<lab::ssh_pair>(
        *lab_, lab::ssh_pair_binaries{.replicatord = LBHA_REPLICATORD_PATH,
                                      .receive_config = LBHA_RECEIVE_CONFIG_PATH,
                                      .lbctl = LBHA_LBCTL_PATH});
    password_ = ssh_->password();
  }

  const lab::node& lb(int i) const { return lab_->lb(i); }
  std::filesystem::path authorized_keys(int i) const { return ssh_->authorized_keys(i); }
  std::string host_fingerprint(int i) { return ssh_->host_fingerprint(i); }
  lab::process& start_replicatord(int i) { return ssh_->start_replicatord(i); }
  lab::process* replicatord(int i) const { return ssh_->replicatord(i); }
  lab::command_result lbctl(int i, std::vector<std::string> args) {
    return ssh_->lbctl(i, std::move(args));
  }
  lab::command_result pair(const std::string& password) { return ssh_->pair(password); }

  lbha::v1::ClusterConfig config_of(int i) {
    auto loaded = load_cluster(cluster_config_path(lb(i).etc_dir()));
    if (!loaded) throw lab_error("cluster.yaml of " + lb(i).name + ": " + loaded.error());
    return loaded.value();
  }

  // A cluster.yaml with `services` virtual services, for lbctl apply.
  std::filesystem::path services_file(int services, const std::string& name = "apply.yaml") {
    lbha::v1::ClusterConfig config;
    for (int s = 0; s < services; ++s) {
      auto* vs = config.add_virtual_services();
      vs->set_label("vs" + std::to_string(s));
      vs->set_ip(lab::vip(s % 100));
      auto* ports = vs->add_ports();
      ports->set_first(1000 + s);
      ports->set_last(1000 + s);
      auto* rs = vs->add_real_servers();
      rs->set_label("rs");
      rs->set_ip("192.0.2.21");
      rs->set_port(80);
    }
    config::apply_defaults(config);
    auto file = lab_->dir() / name;
    if (!write_file_atomically(file, config::to_yaml(config))) throw lab_error("apply file");
    return file;
  }

  std::string logs() { return lab_->logs(); }

  lab::lab* lab_ = nullptr;
  std::unique_ptr<lab::ssh_pair> ssh_;
  std::string password_;
};

TEST_F(pairing_lab_test, pair_pins_the_host_key_and_apply_reaches_the_secondary) {
  start_replicatord(1);
  start_replicatord(2);
  auto paired = pair(password_);
  ASSERT_TRUE(paired.ok()) << paired.out << paired.err << logs();
  EXPECT_NE(paired.out.find(host_fingerprint(2)), std::string::npos) << paired.out;

  auto primary = read_pairing_identity(state_files(lb(1).state_dir())).value();
  auto secondary = read_pairing_identity(state_files(lb(2).state_dir())).value();
  ASSERT_TRUE(primary && secondary);
  EXPECT_EQ(primary->cluster_id, secondary->cluster_id);
  EXPECT_EQ(primary->role, node_role::primary);
  EXPECT_EQ(secondary->role, node_role::secondary);
  EXPECT_EQ(*read_pinned_host_key(state_files(lb(1).state_dir())).value(), host_fingerprint(2));
  EXPECT_EQ(*read_heartbeat_key(state_files(lb(1).state_dir())).value(),
            *read_heartbeat_key(state_files(lb(2).state_dir())).value());
  struct stat st {};
  ASSERT_EQ(::stat(state_files(lb(2).state_dir()).heartbeat_key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // The installed key runs the receiver and nothing else, whatever is asked.
  auto shell = lab_->exec(lb(1).name,
                          {"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o",
                           "UserKnownHostsFile=/dev/null", "-i",
                           state_files(lb(1).state_dir()).node_key().string(),
                           std::string(login_user) + "@" + lb(2).ipv4, "id"});
  EXPECT_EQ(shell.out.find("uid="), std::string::npos) << shell.out;
  EXPECT_NE(shell.out.find("ERROR node=lb2"), std::string::npos) << shell.out << shell.err;

  auto applied = lbctl(1, {"apply", "-f", services_file(3).string()});
  ASSERT_TRUE(applied.ok()) << applied.out << applied.err << logs();
  EXPECT_EQ(config_of(1).generation(), 2u);
  EXPECT_EQ(config_of(2).SerializeAsString(), config_of(1).SerializeAsString());

  auto status = lbctl(1, {"replication", "status"});
  ASSERT_TRUE(status.ok()) << status.err;
  EXPECT_NE(status.out.find("peer generation:   2"), std::string::npos) << status.out;

  // Edits on the secondary are refused, naming the primary.
  auto on_secondary = lbctl(2, {"apply", "-f", services_file(1).string()});
  EXPECT_FALSE(on_secondary.ok());
  EXPECT_NE(on_secondary.err.find("secondary of lb1"), std::string::npos) << on_secondary.err;
}

TEST_F(pairing_lab_test, wrong_password_fails_cleanly) {
  start_replicatord(1);
  auto paired = pair("not-" + password_);
  EXPECT_EQ(paired.status.code, 1) << paired.out << paired.err;
  EXPECT_NE(paired.err.find("wrong password"), std::string::npos) << paired.err;
  EXPECT_FALSE(read_pairing_identity(state_files(lb(1).state_dir())).value());
  EXPECT_FALSE(read_pairing_identity(state_files(lb(2).state_dir())).value());
  EXPECT_FALSE(std::filesystem::exists(authorized_keys(2)));
  // The password never reaches the logs.
  EXPECT_EQ(logs().find(password_), std::string::npos);
}

TEST_F(pairing_lab_test, swapped_host_key_is_refused) {
  start_replicatord(1);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  ssh_->stop_sshd(2);
  ssh_->make_host_key(2);
  ssh_->start_sshd(2);
  auto applied = lbctl(1, {"apply", "-f", services_file(2).string()});
  EXPECT_EQ(applied.status.code, 1);
  EXPECT_NE(applied.out.find("changed"), std::string::npos) << applied.out << applied.err;
  EXPECT_EQ(config_of(2).generation(), 1u);
  EXPECT_EQ(config_of(1).generation(), 2u);
}

TEST_F(pairing_lab_test, secondary_down_during_apply_catches_up) {
  start_replicatord(1);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  lab_->partition(lb(1).name, lb(2).name);
  auto applied = lbctl(1, {"apply", "-f", services_file(4).string()});
  EXPECT_EQ(applied.status.code, 1) << applied.out << applied.err;
  EXPECT_EQ(config_of(1).generation(), 2u);
  EXPECT_EQ(config_of(2).generation(), 1u);
  lab_->heal();
  EXPECT_TRUE(lab::wait_until([&] { return config_of(2).generation() == 2; }, 20s)) << logs();
  EXPECT_EQ(config_of(2).SerializeAsString(), config_of(1).SerializeAsString());
}

TEST_F(pairing_lab_test, sigkill_of_replicatord_mid_push_leaves_a_valid_config) {
  start_replicatord(1);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  const auto big = services_file(1000, "big.yaml");
  for (int round = 0; round < 4; ++round) {
    auto& apply = lab_->start(lb(1).name, "apply" + std::to_string(round),
                              {LBHA_LBCTL_PATH, "--run-dir", lb(1).run_dir().string(), "apply",
                               "-f", big.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 100 * round));
    replicatord(1)->kill();
    apply.wait(10s);
    // Whatever moment the kill hit, each node holds a whole, valid config.
    auto secondary = load_cluster(cluster_config_path(lb(2).etc_dir()));
    ASSERT_TRUE(secondary) << secondary.error();
    EXPECT_TRUE(secondary.value().virtual_services_size() == 0 ||
                secondary.value().virtual_services_size() == 1000);
    ASSERT_TRUE(load_cluster(cluster_config_path(lb(1).etc_dir())));
    start_replicatord(1);
  }
  // And the pair converges once replicatord is back.
  EXPECT_TRUE(lab::wait_until(
      [&] { return config_of(2).generation() == config_of(1).generation(); }, 20s))
      << logs();
}

TEST_F(pairing_lab_test, unpair_leaves_no_key_behind) {
  start_replicatord(1);
  start_replicatord(2);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto keys = read_file(authorized_keys(2));
  ASSERT_TRUE(keys);
  EXPECT_NE(keys.value().find("lbha-pair:"), std::string::npos);
  auto unpaired = lbctl(1, {"unpair"});
  ASSERT_TRUE(unpaired.ok()) << unpaired.out << unpaired.err;
  EXPECT_EQ(read_file(authorized_keys(2)).value().find("lbha-pair:"), std::string::npos);
  for (int i = 1; i <= 2; ++i) {
    state_files files(lb(i).state_dir());
    EXPECT_FALSE(read_pairing_identity(files).value());
    EXPECT_FALSE(read_heartbeat_key(files).value());
  }
  auto status = lbctl(1, {"replication", "status"});
  EXPECT_NE(status.out.find("paired:            no"), std::string::npos) << status.out;
  // The pair can be made again with the password.
  EXPECT_TRUE(pair(password_).ok()) << logs();
}

// bench/replication runs this (disabled in the suite: it measures, it does not check).
// Time of `lbctl apply` on the primary until it returns, i.e. the config is
// committed, pushed over a fresh SSH session (handshake included), validated
// and written on the secondary and its daemons asked to reload.
TEST_F(pairing_lab_test, DISABLED_bench_apply_latency) {
  start_replicatord(1);
  ASSERT_TRUE(pair(password_).ok()) << logs();
  auto median_ms = [&](int services) {
    std::vector<double> samples;
    for (int run = 0; run < 20; ++run) {
      const auto file = services_file(services, "bench" + std::to_string(run % 2) + ".yaml");
      const auto start = std::chrono::steady_clock::now();
      auto applied = lbctl(1, {"apply", "-f", file.string()});
      const auto end = std::chrono::steady_clock::now();
      EXPECT_TRUE(applied.ok()) << applied.out << applied.err;
      EXPECT_EQ(config_of(2).generation(), config_of(1).generation());
      samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(samples.begin(), samples.end());
    return (samples[9] + samples[10]) / 2;
  };
  const double small = median_ms(1);
  const double large = median_ms(1000);
  std::printf("RESULT apply_small_ms=%.1f\nRESULT apply_1000vs_ms=%.1f\n", small, large);
}

}  // namespace
}  // namespace lbha::pairing
