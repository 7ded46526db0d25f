// What the WebUI tests share: the seed's deployment as fixed status
// messages, and the doubles for the two seams (authenticator, node_operations).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "cli/config_edit.hpp"
#include "common/config/config.hpp"
#include "web/authenticator.hpp"
#include "web/errc.hpp"
#include "web/node_operations.hpp"
#include "web/page_layout.hpp"

namespace lbha::web::testing {

inline v1::RealServerStatus real_server(const char* label, const char* ip, uint32_t port,
                                        v1::RealServerState state, bool healthy, uint64_t conns) {
  v1::RealServerStatus s;
  s.set_label(label);
  s.set_ip(ip);
  s.set_port(port);
  s.set_weight(100);
  s.set_state(state);
  s.set_healthy(healthy);
  s.set_current_connections(conns);
  return s;
}

// The seed's 8.1 table on lab addresses: IIS_VIP :443 with IIS1 and IIS2 up,
// DA_VIP :9001 with DA1 up and DA2 failing its check; lb1 active, lb2 passive.
inline cli::overview seed_overview() {
  cli::overview view;
  v1::HaStatus ha;
  ha.set_node_name("lb1");
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_term(4);
  ha.set_peer_alive(true);
  ha.set_peer_role(v1::ROLE_PASSIVE);
  ha.set_last_heartbeat_age_ms(42);
  ha.set_vips_held(true);
  ha.set_config_generation(7);
  ha.set_peer_config_generation(7);
  view.ha = ha;
  v1::ProxyStatus proxy;
  proxy.set_generation(7);
  auto* iis = proxy.add_virtual_services();
  iis->set_label("IIS_VIP");
  iis->set_ip("192.0.2.100");
  auto* iis_ports = iis->add_ports();
  iis_ports->set_first(443);
  iis_ports->set_last(443);
  iis->set_current_connections(3);
  *iis->add_real_servers() =
      real_server("IIS1", "192.0.2.21", 443, v1::REAL_SERVER_STATE_ONLINE, true, 2);
  *iis->add_real_servers() =
      real_server("IIS2", "192.0.2.22", 443, v1::REAL_SERVER_STATE_ONLINE, true, 1);
  auto* da = proxy.add_virtual_services();
  da->set_label("DA_VIP");
  da->set_ip("192.0.2.101");
  auto* da_ports = da->add_ports();
  da_ports->set_first(9001);
  da_ports->set_last(9001);
  *da->add_real_servers() =
      real_server("DA1", "192.0.2.21", 9001, v1::REAL_SERVER_STATE_ONLINE, true, 0);
  *da->add_real_servers() =
      real_server("DA2", "192.0.2.22", 9001, v1::REAL_SERVER_STATE_ONLINE, false, 0);
  view.proxy = proxy;
  return view;
}

// Knows users by name: password and access. A user not listed is bad_credentials.
class fake_authenticator final : public authenticator {
 public:
  struct account {
    std::string password;
    std::optional<access> level;  // nullopt: in neither group
  };
  std::map<std::string, account> accounts;

  result<access> authenticate(const std::string& user, const std::string& password) override {
    auto it = accounts.find(user);
    if (it == accounts.end() || it->second.password != password)
      return error(errc::bad_credentials);
    if (!it->second.level) return error(errc::not_permitted);
    return *it->second.level;
  }
};

// Who looks at a page: an lbha-admin and an lbha member, with fixed CSRF tokens.
inline const page_viewer admin_viewer{"admin", access::admin, std::string(64, 'c')};
inline const page_viewer reader_viewer{"operator", access::read_only, std::string(64, 'd')};

// The seed's deployment as committed (cluster.yaml), made with lbctl's own edits.
inline v1::ClusterConfig seed_config() {
  v1::ClusterConfig config;
  config.set_generation(8);
  cli::add_vip(config, "IIS_VIP",
               {{"ip", "192.0.2.100"}, {"ports", "443"}, {"persistence", "source_ip"}});
  cli::add_rip(config, "IIS_VIP", "IIS1", {{"ip", "192.0.2.21"}});
  cli::add_rip(config, "IIS_VIP", "IIS2", {{"ip", "192.0.2.22"}});
  cli::add_vip(config, "DA_VIP",
               {{"ip", "192.0.2.101"}, {"ports", "9001"}, {"client-timeout", "5m"}});
  cli::add_rip(config, "DA_VIP", "DA1", {{"ip", "192.0.2.21"}});
  cli::add_rip(config, "DA_VIP", "DA2", {{"ip", "192.0.2.22"}});
  config::apply_defaults(config);
  return config;
}

// One read of the whole node: the seed's overview, replicatord a paired
// primary (generation 8), syncd paired and connected to lb2.
inline node_read seed_node_read() {
  node_read read;
  read.overview = seed_overview();
  v1::ReplicationStatus replication;
  replication.set_local_node("lb1");
  replication.set_paired(true);
  replication.set_role("primary");
  replication.set_peer_node("lb2");
  replication.set_peer_address("192.0.2.12");
  replication.set_local_generation(8);
  replication.set_peer_generation(8);
  replication.set_peer_reachable(true);
  read.replication = replication;
  v1::SyncStatus sync;
  sync.set_paired(true);
  sync.set_proxy_connected(true);
  auto* peer = sync.add_peers();
  peer->set_name("lb2");
  peer->set_address("192.0.2.12");
  peer->set_connected(true);
  read.sync = sync;
  return read;
}

// Serves a fixed overview and records every state change (called from the
// app's worker threads, hence the lock).
class fake_node final : public node_operations {
 public:
  cli::overview view = seed_overview();
  std::string answer =
      "DA_VIP/DA1: drain now on this node\ncommitted generation 8 on lb1 and lb2\n";

  cli::overview read_overview() override { return view; }
  // The whole node: the overview above, a paired primary, syncd connected.
  node_read node = seed_node_read();
  node_read read_node() override {
    node_read read = node;
    read.overview = view;
    return read;
  }
  outcome set_real_server_state(const cli::server_state_change& change) override {
    std::lock_guard lock(mutex_);
    changes_.push_back(change);
    return {true, answer};
  }
  std::vector<cli::server_state_change> changes() {
    std::lock_guard lock(mutex_);
    return changes_;
  }

  // lbctl runs: each recorded; the answer is `lbctl_answer` (exit code, out, err).
  command_run lbctl_answer{0, "committed generation 9 on lb1 and lb2\n", ""};
  command_run run_lbctl(const std::vector<std::string>& args) override {
    std::lock_guard lock(mutex_);
    lbctl_runs_.push_back(args);
    return lbctl_answer;
  }
  // What pair() and read_logs() were asked (the app calls them on its workers).
  std::vector<pair_request> pairings() {
    std::lock_guard lock(mutex_);
    return pairings_;
  }
  std::vector<log_query> log_queries() {
    std::lock_guard lock(mutex_);
    return log_queries_;
  }
  std::vector<std::vector<std::string>> lbctl_runs() {
    std::lock_guard lock(mutex_);
    return lbctl_runs_;
  }
  command_run pair(const pair_request& request) override {
    std::lock_guard lock(mutex_);
    pairings_.push_back(request);
    return lbctl_answer;
  }
  configuration_view configuration{{0, "generation: 8\nvirtual_services: []\n", ""},
                                   {0, "node_name: lb1\n", ""}};
  configuration_view read_configuration() override { return configuration; }
  command_run logs{0, "2026-12-07T07:00:00+0000 lb1 lbha-heartbeatd[42]: role: active\n", ""};
  command_run read_logs(const log_query& query) override {
    std::lock_guard lock(mutex_);
    log_queries_.push_back(query);
    return logs;
  }
  v1::ClusterConfig config = seed_config();
  config_read read_cluster_config() override { return {config, ""}; }

 private:
  std::mutex mutex_;
  std::vector<cli::server_state_change> changes_;
  std::vector<std::vector<std::string>> lbctl_runs_;
  std::vector<pair_request> pairings_;
  std::vector<log_query> log_queries_;
};

}  // namespace lbha::web::testing
