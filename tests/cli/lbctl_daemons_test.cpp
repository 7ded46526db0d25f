// lbctl against in-process doubles of the daemons' gRPC services on Unix
// sockets in a temp run dir: what each command sends, what it prints, the
// exit codes, and how fast `status` answers.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/app.hpp"
#include "cli/config_edit.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::cli {
namespace {

class fake_proxy final : public v1::Proxy::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext*, const v1::ProxyStatusRequest*,
                         v1::ProxyStatus* reply) override {
    reply->set_generation(7);
    auto* service = reply->add_virtual_services();
    service->set_label("DA_VIP");
    service->set_ip("192.0.2.101");
    auto* port = service->add_ports();
    port->set_first(9001);
    port->set_last(9001);
    auto* server = service->add_real_servers();
    server->set_label("DA1");
    server->set_ip("192.0.2.31");
    server->set_port(9001);
    server->set_weight(100);
    server->set_state(v1::REAL_SERVER_STATE_ONLINE);
    server->set_healthy(true);
    return grpc::Status::OK;
  }
  grpc::Status SetRealServerState(grpc::ServerContext*,
                                  const v1::SetRealServerStateRequest* request,
                                  v1::ProxyResult* reply) override {
    std::lock_guard lock(mutex_);
    states.push_back(*request);
    reply->set_ok(true);
    return grpc::Status::OK;
  }
  grpc::Status Reload(grpc::ServerContext*, const v1::ReloadRequest*,
                      v1::ReloadResult* reply) override {
    std::lock_guard lock(mutex_);
    ++reloads;
    if (journal) journal->push_back("proxyd");
    reply->set_ok(true);
    reply->set_message("generation 7 applied");
    return grpc::Status::OK;
  }

  std::mutex mutex_;
  std::vector<v1::SetRealServerStateRequest> states;
  int reloads = 0;
  std::vector<std::string>* journal = nullptr;  // the daemons asked to reload, in order
};

// syncd's Reload: refuses when told to.
class fake_sync final : public v1::Sync::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext*, const v1::SyncStatusRequest*,
                         v1::SyncStatus* reply) override {
    reply->set_paired(true);
    auto* peer = reply->add_peers();
    peer->set_name("lb2");
    peer->set_address("192.0.2.12");
    peer->set_connected(true);
    reply->set_refused_connections(3);
    reply->set_refused_unauthenticated(1);
    return grpc::Status::OK;
  }
  grpc::Status Reload(grpc::ServerContext*, const v1::ReloadRequest*,
                      v1::ReloadResult* reply) override {
    if (journal) journal->push_back("syncd");
    reply->set_ok(refuse.empty());
    reply->set_message(refuse.empty() ? "reloaded: 1 table(s)" : refuse);
    return grpc::Status::OK;
  }
  std::string refuse;
  std::vector<std::string>* journal = nullptr;
};

class fake_ha final : public v1::Ha::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext*, const v1::HaStatusRequest*,
                         v1::HaStatus* reply) override {
    reply->set_node_name("lb1");
    reply->set_role(v1::ROLE_ACTIVE);
    reply->set_peer_alive(true);
    reply->set_peer_role(v1::ROLE_PASSIVE);
    return grpc::Status::OK;
  }
  grpc::Status MakeActive(grpc::ServerContext*, const v1::MakeActiveRequest* request,
                          v1::HaResult* reply) override {
    forced = request->force();
    reply->set_ok(true);
    reply->set_message("lb1 is active");
    return grpc::Status::OK;
  }
  grpc::Status Reload(grpc::ServerContext*, const v1::ReloadRequest*,
                      v1::ReloadResult* reply) override {
    if (journal) journal->push_back("heartbeatd");
    reply->set_ok(true);
    return grpc::Status::OK;
  }
  bool forced = false;
  std::vector<std::string>* journal = nullptr;
};

class fake_replication final : public v1::Replication::Service {
 public:
  grpc::Status Push(grpc::ServerContext*, const v1::PushRequest* request,
                    v1::ReplicationResult* reply) override {
    std::lock_guard lock(mutex_);
    pushed.push_back(request->config());
    origins.push_back(request->origin());
    summaries.push_back(request->summary());
    reply->set_ok(!peer_fails);
    reply->set_message(peer_fails ? "committed generation 8 on lb1; lb2 did not take it "
                                    "(connection refused); it catches up when it is reachable again"
                                  : "committed generation 8 on both nodes");
    for (const char* node : {"lb1", "lb2"}) {
      auto* result = reply->add_nodes();
      result->set_node(node);
      const bool ok = !(peer_fails && std::string(node) == "lb2");
      result->set_ok(ok);
      result->set_generation(ok ? 8 : 7);
      if (!ok) result->set_message("connection refused");
    }
    return grpc::Status::OK;
  }
  grpc::Status GetStatus(grpc::ServerContext*, const v1::ReplicationStatusRequest*,
                         v1::ReplicationStatus* reply) override {
    reply->set_paired(true);
    reply->set_role(role);
    reply->set_local_node(role == "primary" ? "lb1" : "lb2");
    reply->set_peer_node(role == "primary" ? "lb2" : "lb1");
    return grpc::Status::OK;
  }
  grpc::Status GetGeneration(grpc::ServerContext*, const v1::GenerationRequest* request,
                             v1::GenerationReply* reply) override {
    std::lock_guard lock(mutex_);
    auto kept = kept_generations.find(request->generation());
    reply->set_ok(kept != kept_generations.end());
    if (kept == kept_generations.end()) {
      reply->set_message("generation " + std::to_string(request->generation()) +
                         " is not in this node's history");
    } else {
      *reply->mutable_config() = kept->second;
    }
    return grpc::Status::OK;
  }
  grpc::Status History(grpc::ServerContext*, const v1::HistoryRequest*,
                       v1::HistoryReply* reply) override {
    std::lock_guard lock(mutex_);
    for (const auto& [generation, config] : kept_generations) {
      auto* entry = reply->add_entries();
      entry->set_generation(generation);
      entry->set_term(config.term());
      entry->set_origin(generation == 7 ? "pushed_by_lb1" : "commit");
      entry->set_at("2026-12-07T01:0" + std::to_string(generation % 10) + ":00Z");
      entry->set_summary(generation == 7 ? "+ DA_VIP" : "");
    }
    reply->add_problems(
        "generation 5 skipped: /var/lib/lbha/history/00000000000000000005.yaml:1: "
        "not a history entry");
    reply->set_current_generation(7);
    return grpc::Status::OK;
  }
  std::mutex mutex_;
  std::vector<v1::ClusterConfig> pushed;
  std::vector<std::string> origins;
  std::vector<std::string> summaries;
  std::map<std::uint64_t, v1::ClusterConfig> kept_generations;
  std::string role = "primary";
  bool peer_fails = false;
};

// A proxyd that takes longer to answer than any deadline lbctl gives it.
class slow_proxy final : public v1::Proxy::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::ProxyStatusRequest*,
                         v1::ProxyStatus*) override {
    for (int i = 0; i < 100 && !context->IsCancelled(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return grpc::Status::OK;
  }
};

struct lbctl_run {
  int code;
  std::string out;
  std::string err;
};

class lbctl_daemons : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbctl_daemons_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    v1::ClusterConfig config;
    ASSERT_EQ(add_vip(config, "DA_VIP", {{"ip", "192.0.2.101"}, {"ports", "9001"}}), "");
    ASSERT_EQ(add_rip(config, "DA_VIP", "DA1", {{"ip", "192.0.2.31"}}), "");
    config::apply_defaults(config);
    config.set_generation(7);
    config.set_term(2);
    ASSERT_TRUE(write_file_atomically(dir_ / "cluster.yaml", config::to_yaml(config)).has_value());
    replication_.kept_generations[7] = config;
  }
  void TearDown() override {
    for (auto& server : servers_) server->shutdown();
    std::filesystem::remove_all(dir_);
  }

  void serve(std::string_view daemon, grpc::Service& service) {
    auto server = start_unix_server(socket_path(dir_, daemon), {&service});
    ASSERT_TRUE(server.has_value());
    servers_.push_back(std::move(server.value()));
  }

  // Every daemon served, the three that reload noting it in journal_ (so a
  // test sees whom lbctl asked, in order).
  void serve_all_journaled() {
    proxy_.journal = sync_.journal = ha_.journal = &journal_;
    serve("proxyd", proxy_);
    serve("syncd", sync_);
    serve("heartbeatd", ha_);
    serve("replicatord", replication_);
  }

  lbctl_run lbctl(std::vector<const char*> args) {
    args.insert(args.begin(), "lbctl");
    args.push_back("--config-dir");
    args.push_back(dir_.c_str());
    args.push_back("--run-dir");
    args.push_back(dir_.c_str());
    std::ostringstream out, err;
    const int code = run_lbctl(static_cast<int>(args.size()), args.data(), out, err);
    return {code, out.str(), err.str()};
  }

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<unix_server>> servers_;
  fake_proxy proxy_;
  fake_ha ha_;
  fake_replication replication_;
  fake_sync sync_;
  std::vector<std::string> journal_;
};

TEST_F(lbctl_daemons, status_reads_both_daemons_quickly) {
  serve("proxyd", proxy_);
  serve("heartbeatd", ha_);
  lbctl({"status"});  // first run pays gRPC's one-time start-up
  const auto start = std::chrono::steady_clock::now();
  auto result = lbctl({"status"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_NE(result.out.find("node lb1: ACTIVE"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("DA_VIP           192.0.2.101  9001"), std::string::npos) << result.out;
  EXPECT_LT(took, std::chrono::milliseconds(100));
  std::cout << "lbctl status took "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
}

TEST_F(lbctl_daemons, status_with_one_daemon_down_prints_what_it_read_and_exits_1) {
  serve("heartbeatd", ha_);
  auto result = lbctl({"status", "--json"});
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.out.find("\"node_name\": \"lb1\""), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("\"proxy\": null"), std::string::npos);
  EXPECT_NE(result.out.find("lbha-proxyd did not answer on " + (dir_ / "proxyd.sock").string()),
            std::string::npos);
}

TEST_F(lbctl_daemons, sync_status_shows_the_peers_port_refusals) {
  fake_sync sync;
  serve("syncd", sync);
  auto text = lbctl({"sync", "status"});
  EXPECT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("peer:            lb2 192.0.2.12 connected"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("refused:         refused_connections 3, refused_unauthenticated 1"),
            std::string::npos)
      << text.out;
  auto json = lbctl({"--json", "sync", "status"});
  EXPECT_EQ(json.code, 0) << json.err;
  EXPECT_NE(json.out.find("\"refused_connections\": \"3\""), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"handshake_timeouts\": \"0\""), std::string::npos) << json.out;
}

TEST_F(lbctl_daemons, halt_applies_at_run_time_and_commits_to_both_nodes) {
  serve("proxyd", proxy_);
  serve("replicatord", replication_);
  auto result = lbctl({"halt", "DA_VIP", "DA1"});
  EXPECT_EQ(result.code, 0) << result.err;
  ASSERT_EQ(proxy_.states.size(), 1u);
  EXPECT_EQ(proxy_.states[0].virtual_service(), "DA_VIP");
  EXPECT_EQ(proxy_.states[0].real_server(), "DA1");
  EXPECT_EQ(proxy_.states[0].state(), v1::REAL_SERVER_STATE_HALT);
  ASSERT_EQ(replication_.pushed.size(), 1u);
  EXPECT_EQ(replication_.pushed[0].virtual_services(0).real_servers(0).state(),
            v1::REAL_SERVER_STATE_HALT);
  EXPECT_EQ(result.out,
            "DA_VIP/DA1: halt now on this node\n"
            "  lb1: ok (generation 8)\n"
            "  lb2: ok (generation 8)\n"
            "committed generation 8 on lb1 and lb2\n");

  auto runtime = lbctl({"drain", "DA_VIP", "DA1", "--runtime-only"});
  EXPECT_EQ(runtime.code, 0);
  EXPECT_EQ(proxy_.states.size(), 2u);
  EXPECT_EQ(replication_.pushed.size(), 1u);  // not committed
}

TEST_F(lbctl_daemons, vip_add_commits_the_edited_config) {
  serve("replicatord", replication_);
  auto result = lbctl({"vip", "add", "IIS_VIP", "--ip", "192.0.2.100", "--ports", "443",
                       "--persistence", "source_ip", "--check", "connect"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "  lb1: ok (generation 8)\n  lb2: ok (generation 8)\n"
            "committed generation 8 on lb1 and lb2\n");
  ASSERT_EQ(replication_.pushed.size(), 1u);
  const auto& pushed = replication_.pushed[0];
  ASSERT_EQ(pushed.virtual_services_size(), 2);
  EXPECT_EQ(pushed.virtual_services(1).label(), "IIS_VIP");
  EXPECT_EQ(pushed.virtual_services(1).persistence().mode(), v1::Persistence::MODE_SOURCE_IP);
  EXPECT_TRUE(config::validate(pushed).empty());
}

TEST_F(lbctl_daemons, reload_asks_proxyd_syncd_then_heartbeatd_and_make_active) {
  serve_all_journaled();
  auto reload = lbctl({"reload"});
  EXPECT_EQ(reload.code, 0) << reload.err;
  EXPECT_EQ(reload.out,
            "lbha-proxyd: reloaded (generation 7 applied)\n"
            "lbha-syncd: reloaded (reloaded: 1 table(s))\n"
            "lbha-heartbeatd: reloaded\n");
  EXPECT_EQ(journal_, (std::vector<std::string>{"proxyd", "syncd", "heartbeatd"}));
  EXPECT_TRUE(replication_.pushed.empty());  // the file is the committed generation

  journal_.clear();
  auto proxy = lbctl({"reload", "proxy"});
  EXPECT_EQ(proxy.code, 0) << proxy.err;
  EXPECT_EQ(proxy.out, "lbha-proxyd: reloaded (generation 7 applied)\n");
  EXPECT_EQ(journal_, std::vector<std::string>{"proxyd"});

  auto active = lbctl({"make-active", "--force"});
  EXPECT_EQ(active.code, 0);
  EXPECT_TRUE(ha_.forced);
  EXPECT_EQ(active.out, "lb1 is active\n");
}

TEST_F(lbctl_daemons, a_daemon_that_refuses_a_reload_is_named_and_the_next_is_not_asked) {
  sync_.refuse = "virtual_services[1]: unknown key type";
  serve_all_journaled();
  auto all = lbctl({"reload", "all"});
  EXPECT_EQ(all.code, 1);
  EXPECT_EQ(all.out, "lbha-proxyd: reloaded (generation 7 applied)\n");
  EXPECT_EQ(all.err, "lbctl: lbha-syncd reload failed: virtual_services[1]: unknown key type\n");
  EXPECT_EQ(journal_, (std::vector<std::string>{"proxyd", "syncd"}));
}

// The weight of DA1 edited in cluster.yaml by hand, generation left as it was.
void edit_by_hand(const std::filesystem::path& file) {
  auto text = read_file(file).value();
  const auto at = text.find("weight: 100");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 11, "weight: 5");
  ASSERT_TRUE(write_file_atomically(file, text).has_value());
}

TEST_F(lbctl_daemons, reload_commits_a_hand_edited_cluster_yaml_on_the_primary_first) {
  serve_all_journaled();
  edit_by_hand(dir_ / "cluster.yaml");
  auto reload = lbctl({"reload"});
  EXPECT_EQ(reload.code, 0) << reload.err;
  ASSERT_EQ(replication_.pushed.size(), 1u);
  EXPECT_EQ(replication_.pushed[0].virtual_services(0).real_servers(0).weight(), 5u);
  EXPECT_EQ(replication_.origins[0], "reload");
  EXPECT_EQ(replication_.summaries[0], "1 service changed");
  EXPECT_NE(reload.out.find("was edited by hand since generation 7; committing it"),
            std::string::npos)
      << reload.out;
  EXPECT_NE(reload.out.find("real server DA1: weight 100 -> 5"), std::string::npos) << reload.out;
  EXPECT_NE(reload.out.find("committed generation 8 on lb1 and lb2"), std::string::npos)
      << reload.out;
  EXPECT_EQ(journal_, (std::vector<std::string>{"proxyd", "syncd", "heartbeatd"}));

  // A commit the peer did not take stops the reload there.
  journal_.clear();
  replication_.peer_fails = true;
  auto failed = lbctl({"reload"});
  EXPECT_EQ(failed.code, 1);
  EXPECT_TRUE(journal_.empty());
}

TEST_F(lbctl_daemons, reload_of_a_hand_edited_cluster_yaml_is_refused_on_the_secondary) {
  replication_.role = "secondary";
  serve_all_journaled();
  edit_by_hand(dir_ / "cluster.yaml");
  auto reload = lbctl({"reload"});
  EXPECT_EQ(reload.code, 1);
  EXPECT_TRUE(journal_.empty()) << "no daemon may be asked";
  EXPECT_TRUE(replication_.pushed.empty());
  EXPECT_NE(reload.err.find("cluster.yaml differs from committed generation 7"), std::string::npos)
      << reload.err;
  EXPECT_NE(reload.err.find("real server DA1: weight 100 -> 5"), std::string::npos) << reload.err;
  EXPECT_NE(reload.err.find("this node is the secondary of lb1"), std::string::npos) << reload.err;
  EXPECT_NE(reload.err.find("lbctl config show --generation 7 >"), std::string::npos) << reload.err;
}

TEST_F(lbctl_daemons, config_history_lists_newest_first_and_show_prints_a_generation) {
  auto six = replication_.kept_generations[7];
  six.set_generation(6);
  six.mutable_virtual_services()->Clear();
  replication_.kept_generations[6] = six;
  serve("replicatord", replication_);
  auto history = lbctl({"config", "history"});
  EXPECT_EQ(history.code, 0) << history.err;
  EXPECT_EQ(history.out,
            "GENERATION  TERM  TIME                  ORIGIN              CHANGE\n"
            "7 *         2     2026-12-07T01:07:00Z  pushed_by_lb1       + DA_VIP\n"
            "6           2     2026-12-07T01:06:00Z  commit              -\n"
            "* in force (generation 7)\n");
  EXPECT_NE(history.err.find("generation 5 skipped"), std::string::npos) << history.err;

  auto show = lbctl({"config", "show", "--generation", "6"});
  EXPECT_EQ(show.code, 0) << show.err;
  EXPECT_EQ(show.out, config::to_yaml(six));
  auto missing = lbctl({"config", "show", "--generation", "3"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "lbctl: generation 3 is not in this node's history\n");
}

TEST_F(lbctl_daemons, backup_then_restore_commits_the_cluster_and_writes_the_node_files) {
  serve("replicatord", replication_);
  v1::NodeConfig node;
  node.set_node_name("lb1");
  node.set_interface("eth0");
  config::apply_defaults(node);
  const auto node_yaml = dir_ / "node.yaml";
  ASSERT_TRUE(write_file_atomically(node_yaml, config::to_yaml(node)).has_value());
  const auto state = dir_ / "state";
  const auto file = dir_ / "backup.yaml";
  auto backup = lbctl({"--node-config", node_yaml.c_str(), "--state-dir", state.c_str(), "config",
                       "backup", file.c_str()});
  ASSERT_EQ(backup.code, 0) << backup.err;
  EXPECT_EQ(backup.out, "backed up cluster.yaml generation 7 (term 2) and node.yaml of lb1 to " +
                            file.string() + "\n");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));

  // The config changes after the backup; restoring commits the backed-up content again.
  auto committed = replication_.kept_generations[7];
  committed.mutable_virtual_services(0)->set_label("RENAMED");
  ASSERT_TRUE(write_file_atomically(dir_ / "cluster.yaml", config::to_yaml(committed)).has_value());
  const auto new_node_yaml = dir_ / "rebuilt" / "node.yaml";
  std::filesystem::create_directories(new_node_yaml.parent_path());
  auto restore = lbctl(
      {"--node-config", new_node_yaml.c_str(), "config", "restore", "--node-files", file.c_str()});
  ASSERT_EQ(restore.code, 0) << restore.err;
  ASSERT_EQ(replication_.pushed.size(), 1u);
  EXPECT_EQ(replication_.origins[0], "restore");
  EXPECT_EQ(replication_.pushed[0].virtual_services(0).label(), "DA_VIP");
  EXPECT_NE(restore.out.find("+ virtual service DA_VIP"), std::string::npos) << restore.out;
  EXPECT_EQ(read_file(new_node_yaml).value(), config::to_yaml(node));

  // A bundle with one bad value: nothing is committed and nothing written.
  auto text = read_file(file).value();
  text.replace(text.find("node_name: lb1"), 14, "node_name: \"\"");
  const auto bad = dir_ / "bad.yaml";
  ASSERT_TRUE(write_file_atomically(bad, text).has_value());
  const auto untouched = dir_ / "untouched" / "node.yaml";
  auto refused =
      lbctl({"--node-config", untouched.c_str(), "config", "restore", "--node-files", bad.c_str()});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("node_files.node.yaml.node_name"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("nothing restored"), std::string::npos) << refused.err;
  EXPECT_EQ(replication_.pushed.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(untouched));
}

TEST_F(lbctl_daemons, apply_shows_the_diff_then_commits_on_both_nodes) {
  serve("replicatord", replication_);
  v1::ClusterConfig proposed;
  auto loaded = config::load_cluster_config(dir_ / "cluster.yaml");
  ASSERT_TRUE(loaded) << loaded.error().message();
  proposed = std::move(loaded).value();
  proposed.mutable_virtual_services(0)->mutable_timeouts()->set_client_ms(600000);
  const auto file = dir_ / "proposed.yaml";
  ASSERT_TRUE(write_file_atomically(file, config::to_yaml(proposed)).has_value());
  auto result = lbctl({"apply", "-f", file.c_str()});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "~ virtual service DA_VIP\n"
            "~     timeouts.client: 50s -> 10m\n"
            "  lb1: ok (generation 8)\n"
            "  lb2: ok (generation 8)\n"
            "committed generation 8 on lb1 and lb2\n");
  ASSERT_EQ(replication_.pushed.size(), 1u);
  EXPECT_EQ(replication_.pushed[0].virtual_services(0).timeouts().client_ms(), 600000u);

  // --dry-run: the same diff, nothing pushed.
  auto dry = lbctl({"apply", "-f", file.c_str(), "--dry-run"});
  EXPECT_EQ(dry.code, 0);
  EXPECT_EQ(dry.out,
            "~ virtual service DA_VIP\n"
            "~     timeouts.client: 50s -> 10m\n"
            "valid; nothing committed (--dry-run)\n");
  EXPECT_EQ(replication_.pushed.size(), 1u);
}

TEST_F(lbctl_daemons, a_change_the_peer_did_not_take_names_it_and_exits_1) {
  replication_.peer_fails = true;
  serve("replicatord", replication_);
  auto result = lbctl({"rip", "modify", "DA_VIP", "DA1", "--weight", "50"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out,
            "  lb1: ok (generation 8)\n"
            "  lb2: FAILED (generation 7): connection refused\n");
  EXPECT_EQ(result.err,
            "lbctl: committed generation 8 on lb1; lb2 did not take it (connection refused); it "
            "catches up when it is reachable again\n");
}

TEST_F(lbctl_daemons, a_slow_daemon_times_out_instead_of_hanging) {
  slow_proxy slow;
  serve("proxyd", slow);
  serve("heartbeatd", ha_);
  const auto start = std::chrono::steady_clock::now();
  auto result = lbctl({"status"});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result.code, 1);
  EXPECT_NE(result.out.find("node lb1: ACTIVE"), std::string::npos) << result.out;
  const std::string timed_out =
      "lbha-proxyd did not answer on " + (dir_ / "proxyd.sock").string() + ": timed out";
  EXPECT_NE((result.out + result.err).find(timed_out), std::string::npos)
      << result.out << result.err;
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

// A socket file left behind by a daemon that died: nobody listens on it.
void leave_stale_socket(const std::filesystem::path& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::close(fd);
}

TEST_F(lbctl_daemons, a_daemon_that_is_down_is_exit_3_naming_daemon_socket_and_remedy) {
  struct down_case {
    std::vector<const char*> command;
    std::string daemon;
  };
  leave_stale_socket(dir_ / "heartbeatd.sock");
  for (const auto& [command, daemon] :
       std::vector<down_case>{{{"ha", "status"}, "heartbeatd"},
                              {{"make-passive"}, "heartbeatd"},
                              {{"reload"}, "proxyd"},
                              {{"drain", "DA_VIP", "DA1", "--runtime-only"}, "proxyd"},
                              {{"replication", "status"}, "replicatord"},
                              {{"vip", "delete", "DA_VIP"}, "replicatord"}}) {
    auto result = lbctl(command);
    if (command.front() == std::string("reload")) {
      // reload first checks cluster.yaml against the committed generation:
      // without replicatord it says it cannot, on one line, and goes on.
      EXPECT_EQ(result.err.rfind("lbctl: warning: cannot check ", 0), 0u) << result.err;
      EXPECT_NE(result.err.find("; reloading it as it is\n"), std::string::npos) << result.err;
      result.err.erase(0, result.err.find('\n') + 1);
    }
    EXPECT_EQ(result.code, 3) << command.front();
    EXPECT_EQ(result.out, "") << command.front();
    EXPECT_EQ(result.err.rfind("lbctl: lbha-" + daemon + " did not answer on " +
                                   (dir_ / (daemon + ".sock")).string() + ": ",
                               0),
              0u)
        << result.err;
    EXPECT_NE(result.err.find("; is it running? (systemctl status lbha-" + daemon + ")\n"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

TEST_F(lbctl_daemons, directories_come_from_node_yaml_unless_given) {
  serve("replicatord", replication_);
  v1::NodeConfig node;
  node.set_node_name("lb1");
  node.set_interface("eth0");
  node.mutable_directories()->set_config_dir(dir_.string());
  node.mutable_directories()->set_run_dir(dir_.string());
  node.mutable_directories()->set_state_dir(dir_.string());
  config::apply_defaults(node);
  const auto node_yaml = dir_ / "node.yaml";
  ASSERT_TRUE(write_file_atomically(node_yaml, config::to_yaml(node)).has_value());
  std::vector<const char*> args{"lbctl",  "--node-config", node_yaml.c_str(), "rip", "modify",
                                "DA_VIP", "DA1",           "--weight",        "50"};
  std::ostringstream out, err;
  EXPECT_EQ(run_lbctl(static_cast<int>(args.size()), args.data(), out, err), 0) << err.str();
  ASSERT_EQ(replication_.pushed.size(), 1u);  // node.yaml's run dir: the double's socket
  // ... and node.yaml's config dir: DA_VIP came from the committed cluster.yaml there.
  EXPECT_EQ(replication_.pushed[0].virtual_services(0).real_servers(0).weight(), 50u);

  // A broken node.yaml is one warning line; the command line's directories still work.
  ASSERT_TRUE(write_file_atomically(node_yaml, "node_name: lb1\ninterface: eth0\npriority: 300\n")
                  .has_value());
  auto warned = lbctl({"--node-config", node_yaml.c_str(), "vip", "list"});
  EXPECT_EQ(warned.code, 0) << warned.err;
  EXPECT_EQ(warned.err,
            "lbctl: warning: " + node_yaml.string() +
                ":3: priority: must be 1..255, got 300; using the default directories\n");
  EXPECT_NE(warned.out.find("DA_VIP"), std::string::npos) << warned.out;
}

}  // namespace
}  // namespace lbha::cli
