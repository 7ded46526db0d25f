#include "tests/heartbeatd/lab/ha_pair.hpp"

#include <sys/stat.h>

#include <fstream>

#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/pairing_files.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::heartbeat::lab_tests {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

const std::string test_key_hex = "5f0c7ab1e29d43c68a1b7e4f20d9c3a6b8e1f4027d5a9c6b3e8f1a2d4c7b9e06";

ha_pair::ha_pair(lab::lab& l, pair_options o) : lab_(l), options_(o), vip_(lab::vip(0)) {
  v1::ClusterConfig cluster;
  cluster.set_generation(1);
  auto* ha = cluster.mutable_ha();
  ha->set_interval_ms(o.interval_ms);
  ha->set_deadtime_ms(o.deadtime_ms);
  ha->set_warntime_ms(o.deadtime_ms / 2);
  ha->set_initdead_ms(o.initdead_ms);
  ha->mutable_arp_probe()->set_enabled(o.arp_probe);
  ha->mutable_arp_probe()->set_timeout_ms(30);
  ha->mutable_arp_probe()->set_count(2);
  auto* vs = cluster.add_virtual_services();
  vs->set_label("web");
  vs->set_ip(vip_);
  auto* ports = vs->add_ports();
  ports->set_first(80);
  ports->set_last(80);
  auto* rs = vs->add_real_servers();
  rs->set_label("rs1");
  rs->set_ip(l.server(1).ipv4);
  const auto port_range = *ports;
  if (!o.ipv4_vip) cluster.clear_virtual_services();
  if (o.ipv6_vip) {
    auto* v6 = cluster.add_virtual_services();
    v6->set_label("web6");
    v6->set_ip(vip6);
    *v6->add_ports() = port_range;
    auto* rs6 = v6->add_real_servers();
    rs6->set_label("rs1");
    rs6->set_ip(l.server(1).ipv6);
  }
  config::apply_defaults(cluster);
  cluster_ = cluster;
  for (int i = 1; i <= 2; ++i) {
    auto node = l.node_config(i);
    if (o.ping_nodes) {
      auto* p = node.add_ping_nodes();
      p->set_address(l.server(1).ipv4);
      p->set_method(v1::PingNode::METHOD_ICMP);
    }
    l.write_node_yaml(i, node);
    if (o.paired || i == 1) l.write_cluster_yaml(i, cluster);
    std::filesystem::create_directories(l.lb(i).state_dir());
    if (o.paired) write_pairing(i);
    l.start(l.lb(i).name, "responder",
            {lab::lab_server_binary().string(), vip_, "80", "--name", l.lb(i).name, "--freebind"});
    if (o.ipv6_vip)
      l.start(
          l.lb(i).name, "responder6",
          {lab::lab_server_binary().string(), vip6, "80", "--name", l.lb(i).name, "--freebind"});
  }
  start_daemon(1);
  start_daemon(2);
}

void ha_pair::start_daemon(int i) {
  daemons_[i - 1] = &lab_.start(lab_.lb(i).name, "heartbeatd",
                                {lab::built_binary(LBHA_HEARTBEATD_PATH).string(), "--node-config",
                                 lab_.lb(i).node_yaml().string(), "--log-level", "debug"});
  const auto sock = socket_path(lab_.lb(i).run_dir(), "heartbeatd");
  if (!lab::wait_until([&] { return std::filesystem::exists(sock); }, 5s))
    throw lab::lab_error("heartbeatd on lb" + std::to_string(i) + " did not start:\n" +
                         daemons_[i - 1]->logs());
}

v1::HaStatus ha_pair::status(int i) const {
  auto stub = v1::Ha::NewStub(unix_channel(socket_path(lab_.lb(i).run_dir(), "heartbeatd")));
  auto ctx = context_with_deadline(2s);
  v1::HaStatus s;
  auto st = stub->GetStatus(ctx.get(), {}, &s);
  if (!st.ok())
    throw lab::lab_error("GetStatus lb" + std::to_string(i) + ": " + st.error_message());
  return s;
}

namespace {

// One Ha RPC to lb<i>'s heartbeatd; throws lab_error naming `what` when the call fails.
template <typename Reply = v1::HaResult, typename Call>
Reply ha_call(const lab::lab& l, int i, const char* what, Call call) {
  auto stub = v1::Ha::NewStub(unix_channel(socket_path(l.lb(i).run_dir(), "heartbeatd")));
  auto ctx = context_with_deadline(10s);
  Reply r;
  auto st = call(*stub, ctx.get(), &r);
  if (!st.ok()) throw lab::lab_error(std::string(what) + ": " + st.error_message());
  return r;
}

}  // namespace

v1::HaResult ha_pair::make_active(int i, bool force) const {
  v1::MakeActiveRequest req;
  req.set_force(force);
  return ha_call(lab_, i, "MakeActive", [&](v1::Ha::Stub& s, grpc::ClientContext* c,
                                            v1::HaResult* r) { return s.MakeActive(c, req, r); });
}

v1::HaResult ha_pair::make_passive(int i) const {
  return ha_call(lab_, i, "MakePassive", [](v1::Ha::Stub& s, grpc::ClientContext* c,
                                            v1::HaResult* r) { return s.MakePassive(c, {}, r); });
}

v1::ReloadResult ha_pair::reload(int i) const {
  return ha_call<v1::ReloadResult>(
      lab_, i, "Reload", [](v1::Ha::Stub& s, grpc::ClientContext* c, v1::ReloadResult* r) {
        return s.Reload(c, {}, r);
      });
}

void ha_pair::write_cluster(int i, const v1::ClusterConfig& c) const {
  lab_.write_cluster_yaml(i, c);
}

void ha_pair::write_pairing(int i) const {
  lab::write_pairing_files(lab_.lb(i).state_dir(), i, test_key_hex);
}

bool ha_pair::holds_vip(int i) const { return holds(i, vip_); }

bool ha_pair::holds(int i, const std::string& ipv4) const {
  auto r = lab_.exec(lab_.lb(i).name, {"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
  return r.out.find(" " + ipv4 + "/32") != std::string::npos;
}

bool ha_pair::holds_vip6(int i) const {
  auto r = lab_.exec(lab_.lb(i).name, {"ip", "-6", "-o", "addr", "show", "dev", "eth0"});
  return r.out.find(" " + vip6 + "/128") != std::string::npos;
}

std::string ha_pair::client_neighbour_mac6() const {
  auto r = lab_.exec(lab_.client(1).name, {"ip", "-6", "neigh", "show", vip6, "dev", "eth0"});
  auto at = r.out.find("lladdr ");
  return at == std::string::npos ? "" : r.out.substr(at + 7, 17);
}

std::string ha_pair::mac(const std::string& node) const {
  auto r = lab_.exec_checked(node, {"cat", "/sys/class/net/eth0/address"});
  auto s = r.out;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string ha_pair::client_neighbour_mac() const {
  auto r = lab_.exec(lab_.client(1).name, {"ip", "neigh", "show", vip_, "dev", "eth0"});
  auto at = r.out.find("lladdr ");
  return at == std::string::npos ? "" : r.out.substr(at + 7, 17);
}

std::string ha_pair::client_reaches() const {
  auto r = lab::http_get(lab_.client(1).netns, vip_, 80, "/", 500ms);
  if (!r.ok) return "";
  auto body = r.body;
  while (!body.empty() && body.back() == '\n') body.pop_back();
  return body.rfind("server ", 0) == 0 ? body.substr(7) : body;
}

int ha_pair::wait_single_owner(std::chrono::milliseconds timeout) const {
  int owner = 0;
  lab::wait_until(
      [&] {
        const bool h1 = holds_vip(1), h2 = holds_vip(2);
        if (h1 == h2) return false;
        const int o = h1 ? 1 : 2;
        if (status(o).role() != v1::ROLE_ACTIVE) return false;
        owner = o;
        return true;
      },
      timeout, 50ms);
  return owner;
}

}  // namespace lbha::heartbeat::lab_tests
