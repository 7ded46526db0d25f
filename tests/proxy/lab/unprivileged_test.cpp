// lbha-proxyd --user (label `lab`, root): started as root, it binds, then
// runs as an unprivileged user keeping only CAP_NET_BIND_SERVICE, and a
// reload that adds a virtual service on a port below 1024 still binds it.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::proxy::lab_tests {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

class proxyd_user_lab : public lab::lab_test {};

// The value of `key` ("Uid", "CapEff") in /proc/<pid>/status, tabs as spaces.
std::string proc_status(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream words(line.substr(key.size() + 1));
    std::string out, w;
    while (words >> w) out += (out.empty() ? "" : " ") + w;
    return out;
  }
  return "";
}

v1::VirtualService service(const std::string& label, const std::string& ip, int port,
                           const std::string& real_server) {
  v1::VirtualService vs;
  vs.set_label(label);
  vs.set_ip(ip);
  auto* p = vs.add_ports();
  p->set_first(static_cast<std::uint32_t>(port));
  p->set_last(static_cast<std::uint32_t>(port));
  auto* rs = vs.add_real_servers();
  rs->set_label("rs1");
  rs->set_ip(real_server);
  rs->set_port(80);
  return vs;
}

bool listening(const lab::lab& l, const std::string& at) {
  auto r = l.exec("lb1", {"ss", "-Hltn"});
  return r.out.find(" " + at + " ") != std::string::npos;
}

TEST_F(proxyd_user_lab, runs_as_the_user_with_only_cap_net_bind_service_and_binds_port_81_on_reload) {
  const passwd* nobody = ::getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user nobody";
  auto& l = make_lab({.lb_nodes = 1, .servers = 1, .clients = 0});
  const auto vip = lab::vip(0);
  l.write_node_yaml(1);
  v1::ClusterConfig cluster;
  cluster.set_generation(1);
  *cluster.add_virtual_services() = service("web", vip, 8080, l.server(1).ipv4);
  config::apply_defaults(cluster);
  l.write_cluster_yaml(1, cluster);

  auto& proxyd = l.start("lb1", "proxyd",
                         {lab::built_binary(LBHA_PROXYD_PATH).string(), "--node-config",
                          l.lb(1).node_yaml().string(), "--user", "nobody"});
  const auto sock = socket_path(l.lb(1).run_dir(), "proxyd");
  ASSERT_TRUE(lab::wait_until(
      [&] { return proc_status(proxyd.pid(), "Uid").rfind(std::to_string(nobody->pw_uid), 0) == 0; },
      5s))
      << proxyd.logs();
  const auto uid = std::to_string(nobody->pw_uid);
  EXPECT_EQ(proc_status(proxyd.pid(), "Uid"), uid + " " + uid + " " + uid + " " + uid);
  EXPECT_EQ(proc_status(proxyd.pid(), "CapEff"), "0000000000000400") << "CAP_NET_BIND_SERVICE";
  EXPECT_EQ(proc_status(proxyd.pid(), "CapPrm"), "0000000000000400");
  EXPECT_TRUE(std::filesystem::exists(sock));
  // Capabilities are per thread: only the io thread (which opens listeners) keeps it.
  int privileged = 0, threads = 0;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(proxyd.pid()) + "/task")) {
    ++threads;
    std::ifstream in(task.path() / "status");
    for (std::string line; std::getline(in, line);)
      if (line.rfind("CapEff:", 0) == 0 && line.find("0000000000000400") != std::string::npos)
        ++privileged;
  }
  EXPECT_EQ(privileged, 1) << "of " << threads << " threads";
  EXPECT_GT(threads, 2) << "workers and gRPC's threads run unprivileged";
  EXPECT_TRUE(lab::wait_until([&] { return listening(l, vip + ":8080"); }, 5s));

  // SIGHUP, as the unit's ExecReload sends it: a new service on port 81.
  cluster.set_generation(2);
  *cluster.add_virtual_services() = service("low", lab::vip(1), 81, l.server(1).ipv4);
  config::apply_defaults(cluster);
  l.write_cluster_yaml(1, cluster);
  proxyd.signal(SIGHUP);
  EXPECT_TRUE(lab::wait_until([&] { return listening(l, lab::vip(1) + ":81"); }, 5s))
      << l.exec("lb1", {"ss", "-Hltn"}).out << proxyd.logs();
  EXPECT_TRUE(listening(l, vip + ":8080"));
  EXPECT_TRUE(proxyd.running());
}

}  // namespace
}  // namespace lbha::proxy::lab_tests
