// Alerts end to end (label `lab`, root): lb1 runs lbha-heartbeatd (paired
// with lb2) and lbha-proxyd, both with node.yaml `alerts.hooks` naming a
// script that appends its LBHA_* environment to a file. Stopping and
// starting the real server's process, and lb2's heartbeatd, must bring the
// events, in order, with their variables: real_server_down, service_down,
// real_server_up, service_up (proxyd's health checks), peer_lost, peer_back
// (heartbeatd).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "tests/heartbeatd/lab/ha_pair.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::heartbeat::lab_tests {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;
using event_vars = std::map<std::string, std::string>;

// Every event the hook recorded, in order: one map of LBHA_* variables each.
std::vector<event_vars> recorded(const std::filesystem::path& file) {
  std::vector<event_vars> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line == "--- event") {
      out.emplace_back();
    } else if (!out.empty() && line.find('=') != std::string::npos) {
      out.back()[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    }
  }
  return out;
}

std::vector<event_vars> named(const std::vector<event_vars>& all, const std::string& name) {
  std::vector<event_vars> out;
  for (const auto& e : all) {
    if (e.count("LBHA_EVENT") && e.at("LBHA_EVENT") == name) out.push_back(e);
  }
  return out;
}

std::string names_of(const std::vector<event_vars>& all) {
  std::string out;
  for (const auto& e : all) out += (e.count("LBHA_EVENT") ? e.at("LBHA_EVENT") : "?") + " ";
  return out;
}

class alerts_lab : public lab::lab_test {
 protected:
  void TearDown() override {
    pair_.reset();
    lab::lab_test::TearDown();
  }
  std::unique_ptr<ha_pair> pair_;
};

TEST_F(alerts_lab, real_server_and_peer_events_reach_the_hook_with_their_variables) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 0});
  pair_ = std::make_unique<ha_pair>(l, pair_options{});
  auto& pair = *pair_;
  ASSERT_NE(pair.wait_single_owner(10s), 0) << l.logs();

  // The hook: root's, 0755, in the lab's directory (StrictModes).
  const auto events = l.dir() / "alert-events";
  const auto hook = l.dir() / "alert-hook";
  std::ofstream(hook) << "#!/bin/sh\n{ echo '--- event'; env | grep '^LBHA_' | sort; } >> "
                      << events.string() << "\n";
  ::chmod(hook.c_str(), 0755);

  // heartbeatd on lb1 takes the hook with a reload of node.yaml.
  auto node = l.node_config(1);
  node.mutable_alerts()->add_hooks(hook.string());
  node.mutable_alerts()->set_timeout_ms(5000);
  node.mutable_proxy()->set_threads(1);
  l.write_node_yaml(1, node);
  ASSERT_TRUE(pair.reload(1).ok()) << l.logs();

  // proxyd on lb1 with the same hook and its own config dir: one service on
  // vip(1):8080 (the pair's responders hold vip(0):80) over rs1:8080.
  const auto proxy_etc = l.lb(1).dir / "proxy-etc";
  std::filesystem::create_directories(proxy_etc);
  auto proxy_node = node;
  proxy_node.mutable_directories()->set_config_dir(proxy_etc.string());
  const auto proxy_node_yaml = proxy_etc / "node.yaml";
  { std::ofstream(proxy_node_yaml) << config::to_yaml(proxy_node); }
  ::chmod(proxy_node_yaml.c_str(), 0644);
  v1::ClusterConfig cluster;
  cluster.set_generation(1);
  auto* vs = cluster.add_virtual_services();
  vs->set_label("app");
  vs->set_ip(lab::vip(1));
  auto* ports = vs->add_ports();
  ports->set_first(8080);
  ports->set_last(8080);
  auto* check = vs->mutable_check();
  check->set_type(v1::HealthCheck::TYPE_CONNECT);
  check->set_interval_ms(200);
  check->set_timeout_ms(200);
  check->set_rise(1);
  check->set_fall(1);
  auto* rs = vs->add_real_servers();
  rs->set_label("rs1");
  rs->set_ip(l.server(1).ipv4);
  config::apply_defaults(cluster);
  auto cluster_errors = config::validate(cluster, "cluster.yaml");
  ASSERT_TRUE(cluster_errors.empty()) << cluster_errors.front().to_string();
  { std::ofstream(proxy_etc / "cluster.yaml") << config::to_yaml(cluster); }
  auto* server =
      &l.start("rs1", "server",
               {lab::lab_server_binary().string(), l.server(1).ipv4, "8080", "--name", "rs1"});
  auto& proxyd = l.start(
      "lb1", "proxyd",
      {lab::built_binary(LBHA_PROXYD_PATH).string(), "--node-config", proxy_node_yaml.string()});
  ASSERT_TRUE(lab::wait_until(
      [&] { return std::filesystem::exists(socket_path(l.lb(1).run_dir(), "proxyd")); }, 5s))
      << proxyd.logs();
  std::this_thread::sleep_for(600ms);  // a few checks pass: rs1 is up, no event
  EXPECT_TRUE(recorded(events).empty()) << names_of(recorded(events));

  // The real server goes away: down, then its service has no server up.
  server->stop();
  ASSERT_TRUE(
      lab::wait_until([&] { return named(recorded(events), "service_down").size() == 1; }, 5s))
      << names_of(recorded(events)) << proxyd.logs();
  auto all = recorded(events);
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0]["LBHA_EVENT"], "real_server_down");
  EXPECT_EQ(all[0]["LBHA_NODE"], "lb1");
  EXPECT_EQ(all[0]["LBHA_SERVICE"], "app");
  EXPECT_EQ(all[0]["LBHA_REAL_SERVER"], "rs1");
  EXPECT_EQ(all[0]["LBHA_ADDRESS"], l.server(1).ipv4);
  EXPECT_EQ(all[0]["LBHA_PORT"], "8080");
  EXPECT_NE(all[0]["LBHA_REASON"].find("connect"), std::string::npos) << all[0]["LBHA_REASON"];
  EXPECT_NE(all[0]["LBHA_MESSAGE"].find("Real server rs1"), std::string::npos);
  EXPECT_EQ(all[0]["LBHA_TIME"].size(), std::string("2026-12-07T01:02:03Z").size());
  EXPECT_EQ(all[0]["LBHA_TIME"].back(), 'Z');
  EXPECT_EQ(all[1]["LBHA_EVENT"], "service_down");
  EXPECT_EQ(all[1]["LBHA_SERVICE"], "app");
  EXPECT_EQ(all[1]["LBHA_ADDRESS"], lab::vip(1));

  // It comes back: up, and the service with it.
  server = &l.start("rs1", "server2",
                    {lab::lab_server_binary().string(), l.server(1).ipv4, "8080", "--name", "rs1"});
  ASSERT_TRUE(
      lab::wait_until([&] { return named(recorded(events), "service_up").size() == 1; }, 5s))
      << names_of(recorded(events)) << proxyd.logs();
  all = recorded(events);
  ASSERT_GE(all.size(), 4u);
  EXPECT_EQ(all[2]["LBHA_EVENT"], "real_server_up");
  EXPECT_EQ(all[2]["LBHA_REAL_SERVER"], "rs1");
  EXPECT_EQ(all[3]["LBHA_EVENT"], "service_up");

  // lb2's heartbeatd stops: lb1 loses its peer after deadtime, then gets it back.
  pair.daemon(2).stop();
  ASSERT_TRUE(lab::wait_until([&] { return named(recorded(events), "peer_lost").size() == 1; }, 5s))
      << names_of(recorded(events)) << l.logs();
  const auto lost = named(recorded(events), "peer_lost").front();
  EXPECT_EQ(lost.at("LBHA_PEER"), l.lb(2).ipv4);
  EXPECT_EQ(lost.at("LBHA_PEER_NODE_ID"), "2");
  EXPECT_EQ(lost.at("LBHA_NODE"), "lb1");
  pair.start_daemon(2);
  ASSERT_TRUE(
      lab::wait_until([&] { return named(recorded(events), "peer_back").size() == 1; }, 10s))
      << names_of(recorded(events)) << l.logs();
  const auto back = named(recorded(events), "peer_back").front();
  EXPECT_EQ(back.at("LBHA_PEER"), l.lb(2).ipv4);
  EXPECT_FALSE(back.at("LBHA_PEER_ROLE").empty());
  EXPECT_EQ(names_of(recorded(events)),
            "real_server_down service_down real_server_up service_up peer_lost peer_back ");
}

}  // namespace
}  // namespace lbha::heartbeat::lab_tests
