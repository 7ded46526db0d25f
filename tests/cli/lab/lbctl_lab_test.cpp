// lbctl on a paired lab, against the real daemons: the lab test.
//
// Two LB nodes paired over real SSH (tests/lab/ssh_pair), each running
// lbha-replicatord, lbha-heartbeatd, lbha-proxyd and lbha-syncd; four real
// servers (lbha-lab-server, answering "server <label>"); one client. The
// seed's deployment is built entirely with `lbctl vip|rip add` on the
// primary, then checked with `lbctl status --json` on both nodes and from the
// client, and `lbctl halt DA_VIP DA1` is checked the same way. A persistent
// VIP added once both syncds run has its stick entries on the peer within a
// second (every commit reloads proxyd, syncd, heartbeatd on both nodes).
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "common/grpc_unix.hpp"
#include "common/state/pair_certificate.hpp"
#include "lbha/v1/ha.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"
#include "tests/lab/audit.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/ssh_pair.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::cli {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

// `lbctl status --json` parsed: the document's two messages (unset when that
// daemon did not answer).
struct status_doc {
  std::string schema;
  std::optional<v1::HaStatus> ha;
  std::optional<v1::ProxyStatus> proxy;
};

template <typename Message>
std::optional<Message> message_at(const google::protobuf::Struct& doc, const std::string& key) {
  auto it = doc.fields().find(key);
  if (it == doc.fields().end() || !it->second.has_struct_value()) return std::nullopt;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(it->second.struct_value(), &json).ok()) {
    return std::nullopt;
  }
  Message message;
  if (!google::protobuf::util::JsonStringToMessage(json, &message).ok()) return std::nullopt;
  return message;
}

std::optional<status_doc> parse_status(const std::string& json) {
  google::protobuf::Struct doc;
  if (!google::protobuf::util::JsonStringToMessage(json, &doc).ok()) return std::nullopt;
  status_doc parsed;
  auto schema = doc.fields().find("schema");
  if (schema != doc.fields().end()) parsed.schema = schema->second.string_value();
  parsed.ha = message_at<v1::HaStatus>(doc, "ha");
  parsed.proxy = message_at<v1::ProxyStatus>(doc, "proxy");
  return parsed;
}

const v1::RealServerStatus* find_server(const v1::ProxyStatus& proxy, const std::string& vip,
                                        const std::string& rip) {
  for (const auto& service : proxy.virtual_services()) {
    if (service.label() != vip) continue;
    for (const auto& server : service.real_servers()) {
      if (server.label() == rip) return &server;
    }
  }
  return nullptr;
}

class lbctl_lab_test : public lab::lab_test {
 protected:
  void SetUp() override {
    lab::lab_test::SetUp();
    if (IsSkipped()) return;
    lab_ = &make_lab({.lb_nodes = 2, .servers = 4, .clients = 1});
    ssh_ = std::make_unique<lab::ssh_pair>(
        *lab_,
        lab::ssh_pair_binaries{.replicatord = LBHA_REPLICATORD_PATH,
                               .receive_config = LBHA_RECEIVE_CONFIG_PATH,
                               .lbctl = LBHA_LBCTL_PATH},
        [](int, v1::NodeConfig& node) { node.mutable_proxy()->set_threads(1); });
  }

  const lab::node& lb(int i) const { return lab_->lb(i); }

  // lbctl on node i, as an operator runs it there: node.yaml gives the directories.
  lab::command_result lbctl(int i, std::vector<std::string> args) {
    return ssh_->lbctl(i, std::move(args));
  }

  // lbctl that must succeed, and whose output says the change is on both nodes.
  void commit(std::vector<std::string> args) {
    auto r = lbctl(1, args);
    ASSERT_TRUE(r.ok()) << lab::join_argv(args) << ":\n" << r.out << r.err;
    EXPECT_NE(r.out.find(" on lb1 and lb2\n"), std::string::npos) << r.out;
  }

  std::optional<status_doc> status(int i) {
    auto r = lbctl(i, {"status", "--json"});
    return parse_status(r.out);
  }

  // Node i's status with both daemons' parts: on a loaded box one call may
  // miss lbctl's 500 ms deadline, so a few are allowed.
  std::optional<status_doc> full_status(int i) {
    std::optional<status_doc> doc;
    lab::wait_until(
        [&] {
          doc = status(i);
          return doc && doc->proxy && doc->ha;
        },
        5s, 50ms);
    return doc && doc->proxy && doc->ha ? doc : std::nullopt;
  }

  // Starts lbha-heartbeatd, lbha-proxyd and lbha-syncd on node i and waits for their sockets.
  void start_daemons(int i) {
    const auto node_yaml = lb(i).node_yaml().string();
    proxyd_[i] =
        &lab_->start(lb(i).name, "proxyd",
                     {lab::built_binary(LBHA_PROXYD_PATH).string(), "--node-config", node_yaml});
    lab_->start(lb(i).name, "heartbeatd",
                {lab::built_binary(LBHA_HEARTBEATD_PATH).string(), "--node-config", node_yaml,
                 "--log-level", "debug"});
    lab_->start(lb(i).name, "syncd",
                {lab::built_binary(LBHA_SYNCD_PATH).string(), "--node-config", node_yaml});
    for (const char* sock : {"proxyd.sock", "heartbeatd.sock", "syncd.sock"}) {
      ASSERT_TRUE(
          lab::wait_until([&] { return std::filesystem::exists(lb(i).run_dir() / sock); }, 10s))
          << sock << " on " << lb(i).name << "\n"
          << lab_->logs();
    }
  }

  // replicatord on both nodes, `lbctl pair` on lb1, then the other daemons on
  // both (heartbeatd reads the pairing identity and key when it starts).
  void pair_and_start_daemons() {
    ssh_->start_replicatord(1);
    ssh_->start_replicatord(2);
    auto paired = ssh_->pair();
    ASSERT_TRUE(paired.ok()) << paired.out << paired.err;
    for (int i = 1; i <= 2; ++i) start_daemons(i);
  }

  // "IIS1" when the client's GET to ip:port was answered by real server IIS1; "" on no answer.
  std::string client_reaches(const std::string& ip, std::uint16_t port) {
    auto r = lab::http_get(lab_->client(1).netns, ip, port, "/", 1s);
    if (!r.ok) return "";
    auto body = r.body;
    while (!body.empty() && body.back() == '\n') body.pop_back();
    return body.rfind("server ", 0) == 0 ? body.substr(7) : body;
  }

  // Every real server of both services is up (online, passing its check) on node i.
  bool all_up(int i) {
    auto doc = status(i);
    if (!doc || !doc->proxy) return false;
    for (const auto& [vip, rip] : std::vector<std::pair<std::string, std::string>>{
             {"IIS_VIP", "IIS1"}, {"IIS_VIP", "IIS2"}, {"DA_VIP", "DA1"}, {"DA_VIP", "DA2"}}) {
      const auto* server = find_server(*doc->proxy, vip, rip);
      if (server == nullptr || !server->healthy() ||
          server->state() != v1::REAL_SERVER_STATE_ONLINE) {
        return false;
      }
    }
    return true;
  }

  // Node i's syncd, straight from its socket (lbctl has no sync command).
  std::optional<v1::SyncStatus> sync_status(int i) {
    auto stub = v1::Sync::NewStub(unix_channel(socket_path(lb(i).run_dir(), "syncd")));
    auto ctx = context_with_deadline(1s);
    v1::SyncStatus status;
    if (!stub->GetStatus(ctx.get(), {}, &status).ok()) return std::nullopt;
    return status;
  }

  // The clients node i's proxyd has a stick entry for in virtual service `vip`.
  std::vector<std::string> stuck_clients(int i, const std::string& vip) {
    auto stub = v1::Proxy::NewStub(unix_channel(socket_path(lb(i).run_dir(), "proxyd")));
    auto ctx = context_with_deadline(1s);
    auto reader = stub->SnapshotTable(ctx.get(), {});
    std::vector<std::string> out;
    v1::StickBatch batch;
    while (reader->Read(&batch)) {
      for (const auto& e : batch.entries()) {
        if (e.virtual_service() != vip || e.client().size() != 4) continue;
        const auto* b = reinterpret_cast<const unsigned char*>(e.client().data());
        out.push_back(std::to_string(b[0]) + "." + std::to_string(b[1]) + "." +
                      std::to_string(b[2]) + "." + std::to_string(b[3]));
      }
    }
    reader->Finish();
    return out;
  }

  lab::lab* lab_ = nullptr;
  std::unique_ptr<lab::ssh_pair> ssh_;
  std::array<lab::process*, 3> proxyd_{};
};

TEST_F(lbctl_lab_test, seed_deployment_built_with_lbctl_reaches_both_nodes_and_halt_holds) {
  // The real servers: IIS1/IIS2 on 443, DA1/DA2 on 9001, each naming itself.
  const std::map<std::string, std::pair<int, std::uint16_t>> real_servers{
      {"IIS1", {1, 443}}, {"IIS2", {2, 443}}, {"DA1", {3, 9001}}, {"DA2", {4, 9001}}};
  for (const auto& [label, where] : real_servers) {
    const auto& rs = lab_->server(where.first);
    lab_->start(rs.name, label,
                {lab::lab_server_binary().string(), rs.ipv4, std::to_string(where.second), "--name",
                 label});
  }

  pair_and_start_daemons();
  if (HasFatalFailure()) return;

  // The seed's sections 7.3 and 7.4, command by command, on the primary.
  const std::string iis_vip = lab::vip(0);
  const std::string da_vip = lab::vip(1);
  commit({"vip", "add", "IIS_VIP", "--ip", iis_vip, "--ports", "443", "--persistence", "source_ip",
          "--check", "connect"});
  commit({"rip", "add", "IIS_VIP", "IIS1", "--ip", lab_->server(1).ipv4, "--weight", "100"});
  commit({"rip", "add", "IIS_VIP", "IIS2", "--ip", lab_->server(2).ipv4, "--weight", "100"});
  commit({"vip", "add", "DA_VIP", "--ip", da_vip, "--ports", "9001", "--persistence", "none",
          "--client-timeout", "5m", "--server-timeout", "5m"});
  commit({"rip", "add", "DA_VIP", "DA1", "--ip", lab_->server(3).ipv4, "--port", "9001"});
  commit({"rip", "add", "DA_VIP", "DA2", "--ip", lab_->server(4).ipv4, "--port", "9001"});
  if (HasFatalFailure()) return;

  // Both nodes: both VIPs, all four RIPs up.
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(lab::wait_until([&] { return all_up(i); }, 30s, 200ms))
        << lb(i).name << ":\n"
        << lbctl(i, {"status"}).out << lab_->logs();
    auto doc = full_status(i);
    ASSERT_TRUE(doc);
    EXPECT_EQ(doc->schema, "lbha.status.v1");
    EXPECT_EQ(doc->proxy->virtual_services_size(), 2);
    EXPECT_TRUE(doc->ha->peer_alive()) << lb(i).name;
  }

  // Both run the same committed generation.
  const auto first = full_status(1);
  const auto second = full_status(2);
  ASSERT_TRUE(first && second);
  const auto generation = first->proxy->generation();
  EXPECT_EQ(second->proxy->generation(), generation);

  // One node is active and holds the VIPs; the client reaches both.
  ASSERT_TRUE(lab::wait_until(
      [&] { return client_reaches(iis_vip, 443) != "" && client_reaches(da_vip, 9001) != ""; }, 20s,
      100ms))
      << lbctl(1, {"status"}).out << lbctl(2, {"status"}).out << lab_->logs();
  const auto sticky = client_reaches(iis_vip, 443);
  EXPECT_TRUE(sticky == "IIS1" || sticky == "IIS2") << sticky;
  for (int n = 0; n < 5; ++n) EXPECT_EQ(client_reaches(iis_vip, 443), sticky);  // source IP
  std::map<std::string, int> da_answers;
  for (int n = 0; n < 10; ++n) ++da_answers[client_reaches(da_vip, 9001)];
  EXPECT_EQ(da_answers["DA1"] + da_answers["DA2"], 10);

  // `lbctl status` on an idle node, as the operator runs it (process start included).
  // Measured and printed, not asserted: the lab box is shared. `missed` counts
  // runs where a daemon did not answer within lbctl's 500 ms deadline (a
  // loaded machine; the daemons are up).
  for (int i = 1; i <= 2; ++i) {
    std::vector<double> samples;
    int missed = 0;
    for (int n = 0; n < 21; ++n) {
      const auto start = std::chrono::steady_clock::now();
      auto r = lab::run_command({lab::built_binary(LBHA_LBCTL_PATH).string(), "--node-config",
                                 lb(i).node_yaml().string(), "status"});
      const auto end = std::chrono::steady_clock::now();
      missed += r.ok() ? 0 : 1;
      samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(samples.begin(), samples.end());
    std::printf("RESULT lbctl_status_ms node=%s median=%.1f min=%.1f max=%.1f missed=%d\n",
                lb(i).name.c_str(), samples[samples.size() / 2], samples.front(), samples.back(),
                missed);
  }

  // The same in process (lbha_cli's run_lbctl): lbctl's own work, without exec and dynamic linking.
  for (int i = 1; i <= 2; ++i) {
    const std::string node_yaml = lb(i).node_yaml().string();
    std::vector<const char*> argv{"lbctl", "--node-config", node_yaml.c_str(), "status"};
    std::vector<double> samples;
    int missed = 0;
    for (int n = 0; n < 21; ++n) {
      std::ostringstream out, err;
      const auto start = std::chrono::steady_clock::now();
      const int code = run_lbctl(static_cast<int>(argv.size()), argv.data(), out, err);
      const auto end = std::chrono::steady_clock::now();
      missed += code == 0 ? 0 : 1;
      samples.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(samples.begin(), samples.end());
    std::printf(
        "RESULT lbctl_status_in_process_ms node=%s median=%.1f min=%.1f max=%.1f missed=%d\n",
        lb(i).name.c_str(), samples[samples.size() / 2], samples.front(), samples.back(), missed);
  }

  // Halt DA1 on the primary: at once here, then committed, so on both nodes.
  auto halted = lbctl(1, {"halt", "DA_VIP", "DA1"});
  ASSERT_TRUE(halted.ok()) << halted.out << halted.err;
  EXPECT_NE(halted.out.find("DA_VIP/DA1: halt now on this node\n"), std::string::npos)
      << halted.out;
  EXPECT_NE(halted.out.find("committed generation " + std::to_string(generation + 1) +
                            " on lb1 and lb2\n"),
            std::string::npos)
      << halted.out;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(lab::wait_until(
        [&] {
          auto doc = status(i);
          if (!doc || !doc->proxy) return false;
          const auto* da1 = find_server(*doc->proxy, "DA_VIP", "DA1");
          return da1 != nullptr && da1->state() == v1::REAL_SERVER_STATE_HALT;
        },
        10s, 100ms))
        << "DA1 not halted on " << lb(i).name << ":\n"
        << lbctl(i, {"status"}).out << lab_->logs();
  }

  // No traffic reaches DA1: every answer comes from DA2, and DA1's
  // connection counts stay where they were on both nodes.
  std::map<int, std::uint64_t> da1_total;
  for (int i = 1; i <= 2; ++i) {
    auto doc = full_status(i);
    ASSERT_TRUE(doc);
    const auto* da1 = find_server(*doc->proxy, "DA_VIP", "DA1");
    ASSERT_NE(da1, nullptr);
    da1_total[i] = da1->total_connections();
  }
  for (int n = 0; n < 20; ++n) EXPECT_EQ(client_reaches(da_vip, 9001), "DA2");
  for (int i = 1; i <= 2; ++i) {
    auto doc = full_status(i);
    ASSERT_TRUE(doc);
    const auto* da1 = find_server(*doc->proxy, "DA_VIP", "DA1");
    ASSERT_NE(da1, nullptr);
    EXPECT_EQ(da1->current_connections(), 0u) << lb(i).name;
    EXPECT_EQ(da1->total_connections(), da1_total[i]) << lb(i).name;
  }
  // A proxyd that hangs (SIGSTOP): status still answers at once with what
  // heartbeatd said, names the daemon and its socket, exit 1.
  // (Retried a few times: on a loaded box heartbeatd too may miss the 500 ms.)
  proxyd_[2]->pause();
  lab::command_result hung;
  auto took = std::chrono::steady_clock::duration::zero();
  for (int attempt = 0; attempt < 5 && hung.status.code != 1; ++attempt) {
    const auto start = std::chrono::steady_clock::now();
    hung = lbctl(2, {"status"});
    took = std::chrono::steady_clock::now() - start;
  }
  proxyd_[2]->resume();
  EXPECT_EQ(hung.status.code, 1) << hung.out << hung.err;
  EXPECT_NE(hung.out.find("node lb2: "), std::string::npos) << hung.out;
  EXPECT_NE((hung.out + hung.err)
                .find("lbha-proxyd did not answer on " +
                      (lb(2).run_dir() / "proxyd.sock").string() + ": timed out"),
            std::string::npos)
      << hung.out << hung.err;
  EXPECT_LT(took, 5s);  // the lab's exec included; lbctl itself gives proxyd 500 ms
  std::printf("RESULT lbctl_status_proxyd_stopped_ms=%.1f\n",
              std::chrono::duration<double, std::milli>(took).count());

  // The human-readable overview says so too.
  for (int i = 1; i <= 2; ++i) {
    lab::command_result text;
    EXPECT_TRUE(lab::wait_until(
        [&] {
          text = lbctl(i, {"status"});
          return text.ok();
        },
        5s, 50ms))
        << text.out << text.err;
    EXPECT_NE(text.out.find("\n  DA1 "), std::string::npos) << text.out;
    EXPECT_NE(text.out.find(" halt\n"), std::string::npos) << text.out;
  }
}

// Issue 13: syncd used to build its tables at start only, so a persistent VIP
// added later was not synchronised and its clients moved after a failover.
TEST_F(lbctl_lab_test, a_persistent_vip_added_after_syncd_started_has_its_entries_on_the_peer) {
  for (int s = 1; s <= 2; ++s) {
    const auto& rs = lab_->server(s);
    lab_->start(rs.name, "WEB" + std::to_string(s),
                {lab::lab_server_binary().string(), rs.ipv4, "80", "--name",
                 "WEB" + std::to_string(s)});
  }
  pair_and_start_daemons();
  if (HasFatalFailure()) return;
  // Both syncds run and are connected, with no table yet.
  ASSERT_TRUE(lab::wait_until(
      [&] {
        for (int i = 1; i <= 2; ++i) {
          auto s = sync_status(i);
          if (!s || s->peers_size() != 1 || !s->peers(0).connected() || !s->proxy_connected())
            return false;
        }
        return true;
      },
      20s, 100ms))
      << lab_->logs();
  ASSERT_EQ(sync_status(1)->tables_size(), 0);

  const std::string web_vip = lab::vip(0);
  commit({"vip", "add", "WEB_VIP", "--ip", web_vip, "--ports", "80", "--persistence",
          "source_ip", "--check", "connect"});
  commit({"rip", "add", "WEB_VIP", "WEB1", "--ip", lab_->server(1).ipv4, "--port", "80"});
  commit({"rip", "add", "WEB_VIP", "WEB2", "--ip", lab_->server(2).ipv4, "--port", "80"});
  if (HasFatalFailure()) return;
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(lab::wait_until(
        [&] {
          auto s = sync_status(i);
          return s && s->tables_size() == 1 && s->tables(0).name() == "WEB_VIP" &&
                 s->peers(0).connected();
        },
        5s, 50ms))
        << lb(i).name << " syncd did not take the new table\n"
        << lab_->logs();
  }

  // The active node holds the VIP, both real servers pass their checks, and no
  // client is stuck yet anywhere.
  int active = 0;
  ASSERT_TRUE(lab::wait_until(
      [&] {
        for (int i = 1; i <= 2; ++i) {
          auto doc = status(i);
          if (!doc || !doc->ha || !doc->proxy || !doc->ha->vips_held()) continue;
          const auto* a = find_server(*doc->proxy, "WEB_VIP", "WEB1");
          const auto* b = find_server(*doc->proxy, "WEB_VIP", "WEB2");
          if (a && b && a->healthy() && b->healthy()) active = i;
        }
        return active != 0;
      },
      30s, 100ms))
      << lbctl(1, {"status"}).out << lbctl(2, {"status"}).out << lab_->logs();
  const int peer = active == 1 ? 2 : 1;
  ASSERT_TRUE(stuck_clients(active, "WEB_VIP").empty());
  ASSERT_TRUE(stuck_clients(peer, "WEB_VIP").empty());

  // One client connection through the new VIP; the peer's proxyd has the entry within 1 s.
  const auto start = std::chrono::steady_clock::now();
  const auto served = client_reaches(web_vip, 80);
  ASSERT_TRUE(served == "WEB1" || served == "WEB2") << served << "\n" << lab_->logs();
  const std::vector<std::string> client{lab_->client(1).ipv4};
  ASSERT_TRUE(lab::wait_until([&] { return stuck_clients(peer, "WEB_VIP") == client; }, 5s, 10ms))
      << lb(peer).name << " never got the entry\n"
      << lab_->logs();
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1s) << lb(peer).name << " got the entry only after "
                      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_EQ(stuck_clients(active, "WEB_VIP"), client);
  std::printf("RESULT new_vip_stick_entry_on_peer_ms=%.1f\n",
              std::chrono::duration<double, std::milli>(took).count());

  // `lbctl persistence show` reads the same entry on both nodes, and the
  // scenarios' audit (tests/lab/audit.hpp) passes on this real pair.
  auto table = lab::parse_persistence(lbctl(peer, {"persistence", "show", "--json"}).out);
  ASSERT_TRUE(table);
  EXPECT_EQ(*table, (lab::persistence_table{{{"WEB_VIP", lab_->client(1).ipv4}, served}}));
  std::vector<lab::process*> daemons;
  for (const auto& p : lab_->processes()) {
    if (p->name() == "heartbeatd" || p->name() == "proxyd" || p->name() == "syncd") {
      daemons.push_back(p.get());
    }
  }
  EXPECT_EQ(daemons.size(), 6u);
  auto report = lab::audit(
      {.scenario = "lbctl_lab_new_persistent_vip",
       .topology = lab_,
       .lb_nodes = {"lb1", "lb2"},
       .vips = {web_vip},
       .clients = {"client1"},
       .lbctl = [&](const std::string& node, const std::vector<std::string>& args) {
         return lbctl(node == "lb1" ? 1 : 2, args);
       },
       .daemons = daemons});
  EXPECT_TRUE(report.ok()) << report.describe();
}

// Failover mode (the seed's 5.1): a backup real server takes the clients only
// while the primary is down, and gives them back when the primary's check
// passes again, on the real pair with proxyd's own connect checks.
TEST_F(lbctl_lab_test, a_failover_mode_service_uses_its_backup_only_while_the_primary_is_down) {
  const auto start_server = [&](int s, const std::string& name) -> lab::process& {
    const auto& rs = lab_->server(s);
    return lab_->start(rs.name, name,
                       {lab::lab_server_binary().string(), rs.ipv4, "80", "--name",
                        "WEB" + std::to_string(s)});
  };
  auto* primary = &start_server(1, "WEB1");
  start_server(2, "WEB2");
  pair_and_start_daemons();
  if (HasFatalFailure()) return;

  const std::string web_vip = lab::vip(0);
  commit({"vip", "add", "WEB_VIP", "--ip", web_vip, "--ports", "80", "--balance", "roundrobin",
          "--check", "connect", "--check-interval", "300ms", "--check-timeout", "200ms",
          "--check-rise", "1", "--check-fall", "1"});
  commit({"rip", "add", "WEB_VIP", "WEB1", "--ip", lab_->server(1).ipv4, "--port", "80"});
  commit({"rip", "add", "WEB_VIP", "WEB2", "--ip", lab_->server(2).ipv4, "--port", "80",
          "--backup", "yes"});
  if (HasFatalFailure()) return;
  int active = 0;
  ASSERT_TRUE(lab::wait_until(
      [&] {
        for (int i = 1; i <= 2; ++i) {
          auto doc = status(i);
          if (!doc || !doc->ha || !doc->proxy || !doc->ha->vips_held()) continue;
          const auto* a = find_server(*doc->proxy, "WEB_VIP", "WEB1");
          const auto* b = find_server(*doc->proxy, "WEB_VIP", "WEB2");
          if (a && b && a->healthy() && b->healthy() && b->backup() && !a->backup()) active = i;
        }
        return active != 0;
      },
      30s, 100ms))
      << lbctl(1, {"status"}).out << lbctl(2, {"status"}).out << lab_->logs();
  EXPECT_NE(lbctl(active, {"status"}).out.find("WEB2 (backup)"), std::string::npos);
  EXPECT_NE(lbctl(active, {"rip", "list", "WEB_VIP"}).out.find("backup"), std::string::npos);
  for (int n = 0; n < 10; ++n) ASSERT_EQ(client_reaches(web_vip, 80), "WEB1") << lab_->logs();

  // The primary dies: the backup takes the clients at once (a refused connect
  // moves on), and the status says the service runs on its backup.
  auto started = std::chrono::steady_clock::now();
  primary->kill();
  ASSERT_TRUE(lab::wait_until([&] { return client_reaches(web_vip, 80) == "WEB2"; }, 5s, 10ms))
      << lab_->logs();
  const auto to_backup = std::chrono::steady_clock::now() - started;
  for (int n = 0; n < 10; ++n) EXPECT_EQ(client_reaches(web_vip, 80), "WEB2");
  EXPECT_TRUE(lab::wait_until(
      [&] { return lbctl(active, {"status"}).out.find("on backup") != std::string::npos; }, 5s,
      50ms))
      << lbctl(active, {"status"}).out;

  // The primary back: once its check passes, the clients are its again.
  started = std::chrono::steady_clock::now();
  primary = &start_server(1, "WEB1-again");
  ASSERT_TRUE(lab::wait_until([&] { return client_reaches(web_vip, 80) == "WEB1"; }, 10s, 10ms))
      << lab_->logs();
  const auto back = std::chrono::steady_clock::now() - started;
  for (int n = 0; n < 10; ++n) EXPECT_EQ(client_reaches(web_vip, 80), "WEB1");
  std::printf("RESULT failover_mode_to_backup_ms=%.1f back_to_primary_ms=%.1f\n",
              std::chrono::duration<double, std::milli>(to_backup).count(),
              std::chrono::duration<double, std::milli>(back).count());
}

// The seed's IIS_VIP on 443, negotiate-checked on 443 itself (seed 5.6):
// lbha-lab-server serves HTTPS there, proxyd's https check speaks TLS to
// each real server and looks for the page's content, and a real server
// whose page does not match is taken down with the reason in `lbctl status`.
TEST_F(lbctl_lab_test, an_https_negotiate_check_on_the_iis_service_takes_down_the_server_whose_page_is_wrong) {
  auto pair = state::make_pair_certificate("iis");
  ASSERT_TRUE(pair) << pair.error().message();
  std::filesystem::create_directories(lab_->server(1).dir);
  const auto pem = lab_->server(1).dir / "iis.pem";
  std::ofstream(pem) << state::to_text(pair.value());
  for (int s = 1; s <= 2; ++s) {
    const auto& rs = lab_->server(s);
    lab_->start(rs.name, "IIS" + std::to_string(s),
                {lab::lab_server_binary().string(), rs.ipv4, "443", "--name",
                 "IIS" + std::to_string(s), "--tls", pem.string()});
  }
  pair_and_start_daemons();
  if (HasFatalFailure()) return;

  const std::string iis_vip = lab::vip(0);
  commit({"vip", "add", "IIS_VIP", "--ip", iis_vip, "--ports", "443", "--persistence",
          "source_ip", "--check", "https", "--check-path", "/", "--check-expect", "server IIS",
          "--check-expect-status", "200", "--check-host", "lbha-pair-iis", "--check-interval",
          "300ms", "--check-timeout", "250ms", "--check-rise", "1", "--check-fall", "1"});
  commit({"rip", "add", "IIS_VIP", "IIS1", "--ip", lab_->server(1).ipv4});
  commit({"rip", "add", "IIS_VIP", "IIS2", "--ip", lab_->server(2).ipv4});
  if (HasFatalFailure()) return;
  const auto checked = [&](int i, const std::string& rip) -> std::optional<v1::RealServerStatus> {
    auto doc = status(i);
    if (!doc || !doc->proxy) return std::nullopt;
    const auto* server = find_server(*doc->proxy, "IIS_VIP", rip);
    return server ? std::optional(*server) : std::nullopt;
  };
  // Both nodes check both real servers over TLS and find the page.
  for (int i = 1; i <= 2; ++i) {
    for (const char* rip : {"IIS1", "IIS2"}) {
      EXPECT_TRUE(lab::wait_until(
          [&] {
            auto server = checked(i, rip);
            return server && server->healthy() && server->last_check() == "https 200";
          },
          10s, 100ms))
          << lb(i).name << " " << rip << ": " << (checked(i, rip) ? checked(i, rip)->last_check() : "")
          << "\n" << lab_->logs();
    }
  }
  // The check now wants IIS1's page: IIS2 goes down on both nodes, saying why.
  commit({"vip", "modify", "IIS_VIP", "--check-expect", "server IIS1"});
  for (int i = 1; i <= 2; ++i) {
    EXPECT_TRUE(lab::wait_until(
        [&] {
          auto iis2 = checked(i, "IIS2");
          auto iis1 = checked(i, "IIS1");
          return iis2 && !iis2->healthy() &&
                 iis2->last_check() == "https 200: expected text not found" && iis1 &&
                 iis1->healthy();
        },
        10s, 100ms))
        << lb(i).name << ": " << lbctl(i, {"status"}).out << lab_->logs();
  }
  EXPECT_NE(lbctl(1, {"status"}).out.find("degraded"), std::string::npos);
}

// send_proxy (seed 5.3: the real servers see the client): the real server
// reads the PROXY header proxyd writes first and reports the client address it
// names, in v2 and then v1; the service's http check passes through the same
// server with a LOCAL header.
TEST_F(lbctl_lab_test, a_real_server_behind_send_proxy_sees_the_clients_address_in_v2_and_v1) {
  const auto& rs = lab_->server(1);
  lab_->start(rs.name, "WEB1",
              {lab::lab_server_binary().string(), rs.ipv4, "80", "--name", "WEB1",
               "--proxy-protocol"});
  pair_and_start_daemons();
  if (HasFatalFailure()) return;

  const std::string web_vip = lab::vip(0);
  commit({"vip", "add", "WEB_VIP", "--ip", web_vip, "--ports", "80", "--send-proxy", "v2",
          "--check", "http", "--check-expect", "server WEB1", "--check-interval", "300ms",
          "--check-timeout", "250ms", "--check-rise", "1"});
  commit({"rip", "add", "WEB_VIP", "WEB1", "--ip", rs.ipv4, "--port", "80"});
  if (HasFatalFailure()) return;
  const std::string expected = "server WEB1\nclient " + lab_->client(1).ipv4 + "\n";
  const auto answer = [&] {
    auto r = lab::http_get(lab_->client(1).netns, web_vip, 80, "/", 1s);
    return r.ok ? r.body : std::string();
  };
  ASSERT_TRUE(lab::wait_until([&] { return answer() == expected; }, 20s, 100ms))
      << answer() << lbctl(1, {"status"}).out << lab_->logs();
  int active = 0;
  for (int i = 1; i <= 2; ++i) {
    auto doc = status(i);
    if (doc && doc->ha && doc->ha->vips_held()) active = i;
  }
  ASSERT_NE(active, 0);
  auto doc = status(active);
  ASSERT_TRUE(doc && doc->proxy);
  const auto* server = find_server(*doc->proxy, "WEB_VIP", "WEB1");
  ASSERT_TRUE(server);
  EXPECT_TRUE(server->healthy()) << server->last_check();
  // The server drops a connection without a header: the check passing means
  // its LOCAL header was read.
  EXPECT_EQ(server->last_check(), "http 200");

  commit({"vip", "modify", "WEB_VIP", "--send-proxy", "v1"});
  EXPECT_TRUE(lab::wait_until([&] { return answer() == expected; }, 5s, 50ms)) << answer();
  for (int n = 0; n < 5; ++n) EXPECT_EQ(answer(), expected);
}

}  // namespace
}  // namespace lbha::cli
