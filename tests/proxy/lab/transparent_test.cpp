// A transparent (TProxy) virtual service in the lab (label `lab`, root):
// the real server sees the client's own address, and lbctl warns on a node
// without the policy routing that makes it work.
//
//   client1 203.0.113.31/24 --- lb1 192.0.2.11, VIP 203.0.113.10/24 --- rs1 192.0.2.21
//
// All three share the lab's bridge, but the client is on another subnet than
// the real server, whose default route is lb1: its replies to the client go
// to lb1, where the README's recipe (nftables `socket transparent` mark, a
// fwmark rule, a local default route) hands them to proxyd's socket.
// proxyd runs as an unprivileged user (--user nobody), as the packaged unit
// runs it: the workers raise CAP_NET_RAW only around IP_TRANSPARENT.
#include <gtest/gtest.h>
#include <pwd.h>

#include <fstream>
#include <sstream>

#include "common/config/config.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::proxy::lab_tests {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

constexpr const char* vip = "203.0.113.10";
constexpr const char* client_ip = "203.0.113.31";

// README.md "Transparent mode", as an operator types it on the node.
constexpr const char* tproxy_ruleset =
    "table inet lbha_tproxy {\n"
    "  chain divert {\n"
    "    type filter hook prerouting priority mangle; policy accept;\n"
    "    meta l4proto tcp socket transparent 1 meta mark set 1 accept\n"
    "  }\n"
    "}\n";

std::string task_status(const std::filesystem::path& status, const std::string& key) {
  std::ifstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream words(line.substr(key.size() + 1));
    std::string value;
    words >> value;
    return value;
  }
  return "";
}

class transparent_lab : public lab::lab_test {
 protected:
  void SetUp() override {
    lab::lab_test::SetUp();
    if (IsSkipped()) return;
    nobody_ = ::getpwnam("nobody");
    if (!nobody_) GTEST_SKIP() << "no user nobody";
    lab_ = &make_lab({.lb_nodes = 1, .servers = 1, .clients = 1});
    lab_->add_address("client1", std::string(client_ip) + "/24");
    lab_->add_address("lb1", std::string(vip) + "/24");
    // The real server answers every client through the load balancer.
    lab_->exec_checked("rs1", {"ip", "route", "add", "default", "via", lab_->lb(1).ipv4});
    lab_->start("rs1", "RS1",
                {lab::lab_server_binary().string(), lab_->server(1).ipv4, "80", "--name", "RS1",
                 "--report-peer"});

    auto node = lab_->node_config(1);
    node.mutable_proxy()->set_threads(2);
    lab_->write_node_yaml(1, node);
    v1::ClusterConfig cluster;
    cluster.set_generation(1);
    auto& vs = *cluster.add_virtual_services();
    vs.set_label("WEB");
    vs.set_ip(vip);
    auto* port = vs.add_ports();
    port->set_first(80);
    port->set_last(80);
    vs.set_transparent(true);
    vs.mutable_check()->set_type(v1::HealthCheck::TYPE_CONNECT);
    vs.mutable_check()->set_interval_ms(300);
    auto* rs = vs.add_real_servers();
    rs->set_label("RS1");
    rs->set_ip(lab_->server(1).ipv4);
    rs->set_port(80);
    config::apply_defaults(cluster);
    ASSERT_TRUE(config::validate(cluster).empty());
    lab_->write_cluster_yaml(1, cluster);
  }

  void add_policy_routing() {
    lab::command_options nft;
    nft.stdin_data = tproxy_ruleset;
    lab_->exec_checked("lb1", {"nft", "-f", "-"}, nft);
    lab_->exec_checked("lb1", {"ip", "rule", "add", "fwmark", "1", "lookup", "100"});
    lab_->exec_checked("lb1",
                       {"ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100"});
  }

  lab::process& start_proxyd() {
    return lab_->start("lb1", "proxyd",
                       {lab::built_binary(LBHA_PROXYD_PATH).string(), "--node-config",
                        lab_->lb(1).node_yaml().string(), "--user", "nobody"});
  }

  std::string answer() {
    auto r = lab::http_get(lab_->client(1).netns, vip, 80, "/", 1s);
    return r.ok ? r.body : std::string();
  }

  lab::command_result lbctl_status() {
    return lab_->exec("lb1", {lab::built_binary(LBHA_LBCTL_PATH).string(), "--node-config",
                              lab_->lb(1).node_yaml().string(), "status"});
  }

  const passwd* nobody_ = nullptr;
  lab::lab* lab_ = nullptr;
};

TEST_F(transparent_lab, the_real_server_sees_the_clients_address_and_data_flows_both_ways) {
  add_policy_routing();
  auto& proxyd = start_proxyd();
  const std::string expected = std::string("server RS1\nclient ") + client_ip + "\n";
  ASSERT_TRUE(lab::wait_until([&] { return answer() == expected; }, 20s, 100ms))
      << answer() << proxyd.logs() << lab_->logs();
  for (int i = 0; i < 20; ++i) EXPECT_EQ(answer(), expected);

  // The real server's own view of its connections: the client's address.
  auto seen = lab_->exec("rs1", {"ss", "-Htn", "state", "time-wait"});
  EXPECT_NE(seen.out.find(client_ip), std::string::npos) << seen.out;

  // Least privilege: the main (io) thread keeps CAP_NET_BIND_SERVICE alone;
  // the workers hold CAP_NET_RAW (bit 13) permitted, never effective.
  const auto tasks = std::filesystem::path("/proc") / std::to_string(proxyd.pid()) / "task";
  EXPECT_EQ(task_status(tasks.parent_path() / "status", "CapEff"), "0000000000000400");
  int workers = 0;
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    const auto status = task.path() / "status";
    if (task.path().filename() == std::to_string(proxyd.pid())) continue;  // the main thread
    EXPECT_EQ(task_status(status, "CapEff"), "0000000000000000") << "thread " << task.path();
    if (task_status(status, "CapPrm") == "0000000000002000") ++workers;
  }
  EXPECT_EQ(workers, 2) << "each worker keeps CAP_NET_RAW permitted";

  // With the routing in place lbctl has nothing to warn about.
  auto status = lbctl_status();
  EXPECT_EQ(status.out.find("warning: transparent"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("tcp transparent"), std::string::npos) << status.out;
}

TEST_F(transparent_lab, without_the_policy_routing_lbctl_warns_and_the_client_gets_no_answer) {
  auto& proxyd = start_proxyd();
  // Wait until proxyd serves (the check passes over its own address).
  ASSERT_TRUE(lab::wait_until([&] { return lbctl_status().out.find(" up\n") != std::string::npos; },
                              20s, 100ms))
      << lbctl_status().out << proxyd.logs();
  auto status = lbctl_status();
  EXPECT_NE(status.out.find("warning: transparent WEB: the real servers' replies will not reach "
                            "proxyd on this node: no `ip rule` with a fwmark"),
            std::string::npos)
      << status.out << status.err;
  // The server's SYN-ACK to the client's address is not delivered to proxyd.
  EXPECT_EQ(answer(), "");

  add_policy_routing();
  EXPECT_TRUE(lab::wait_until(
      [&] { return answer() == std::string("server RS1\nclient ") + client_ip + "\n"; }, 10s,
      100ms))
      << proxyd.logs();
  status = lbctl_status();
  EXPECT_EQ(status.out.find("warning: transparent"), std::string::npos) << status.out;
}

}  // namespace
}  // namespace lbha::proxy::lab_tests
