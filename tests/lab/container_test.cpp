// Container LB nodes (lab_options::containers): each sees its own /etc,
// /home, /var/lib/lbha, /run, hostname and processes, and survives a power cycle.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

class container_test : public lab_test {};

std::string read_in(lab& l, const std::string& node, const std::string& path) {
  return l.exec_checked(node, {"cat", path}).out;
}

TEST_F(container_test, each_lb_node_has_its_own_files_hostname_and_processes) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 1, .clients = 0, .containers = true});
  ASSERT_TRUE(l.lb(1).container);
  EXPECT_FALSE(l.server(1).container);

  // The default paths are the node's own: written from outside, read inside.
  std::ofstream(l.lb(1).etc_dir() / "node.yaml") << "node_name: lb1\n";
  std::ofstream(l.lb(2).etc_dir() / "node.yaml") << "node_name: lb2\n";
  EXPECT_EQ(read_in(l, "lb1", "/etc/lbha/node.yaml"), "node_name: lb1\n");
  EXPECT_EQ(read_in(l, "lb2", "/etc/lbha/node.yaml"), "node_name: lb2\n");
  l.exec_checked("lb1", {"touch", "/var/lib/lbha/mine", "/run/mine", "/home/mine"});
  EXPECT_TRUE(std::filesystem::exists(l.lb(1).state_dir() / "mine"));
  EXPECT_FALSE(std::filesystem::exists(l.lb(2).state_dir() / "mine"));
  EXPECT_FALSE(l.exec("lb2", {"test", "-e", "/run/mine"}).ok());
  EXPECT_FALSE(l.exec("lb2", {"test", "-e", "/home/mine"}).ok());
  // /etc is a copy: a user added in one node exists only there.
  l.exec_checked("lb1", {"groupadd", "lbha-container-test"});
  EXPECT_TRUE(l.exec("lb1", {"getent", "group", "lbha-container-test"}).ok());
  EXPECT_FALSE(l.exec("lb2", {"getent", "group", "lbha-container-test"}).ok());

  EXPECT_EQ(l.exec_checked("lb2", {"hostname"}).out, "lb2\n");
  // Its own PID namespace: PID 1 is the container's, and `ps` sees no host process.
  EXPECT_EQ(l.exec_checked("lb1", {"cat", "/proc/1/comm"}).out, "lbha-lab-contai\n");
  auto& sleeper = l.start("lb1", "sleep", {"sleep", "1000"});
  const auto ps = l.exec_checked("lb1", {"ps", "-e", "-o", "comm="}).out;
  EXPECT_NE(ps.find("sleep"), std::string::npos) << ps;
  EXPECT_EQ(ps.find("ctest"), std::string::npos) << ps;
  EXPECT_TRUE(sleeper.running());
  // Its own network namespace still: eth0 has the node's address.
  EXPECT_NE(l.exec_checked("lb1", {"ip", "-4", "addr", "show", "eth0"}).out.find("192.0.2.11"),
            std::string::npos);
}

TEST_F(container_test, power_off_kills_everything_and_boot_keeps_the_disk_but_not_run) {
  auto& l = make_lab({.lb_nodes = 1, .servers = 1, .clients = 0, .containers = true});
  auto& sleeper = l.start("lb1", "sleep", {"sleep", "1000"});
  l.exec_checked("lb1", {"touch", "/var/lib/lbha/kept", "/etc/lbha/kept", "/run/lost"});
  l.add_address("lb1", "192.0.2.150/24");  // a VIP it held
  l.power_off("lb1");
  // The cable is dead: the node's kernel no longer answers for its addresses.
  EXPECT_FALSE(l.exec("rs1", {"ping", "-c1", "-W1", "192.0.2.150"}).ok());
  EXPECT_TRUE(wait_until([&] { return !sleeper.running(); }, 5s));
  EXPECT_THROW(l.start("lb1", "sleep", {"sleep", "1"}), lab_error);
  l.boot("lb1");
  EXPECT_TRUE(l.exec("lb1", {"test", "-e", "/var/lib/lbha/kept"}).ok());
  EXPECT_TRUE(l.exec("lb1", {"test", "-e", "/etc/lbha/kept"}).ok());
  EXPECT_FALSE(l.exec("lb1", {"test", "-e", "/run/lost"}).ok());
  // Back with only its own address, reachable again.
  const auto addresses = l.exec_checked("lb1", {"ip", "-4", "-o", "addr", "show", "eth0"}).out;
  EXPECT_EQ(addresses.find("192.0.2.150"), std::string::npos) << addresses;
  EXPECT_TRUE(l.exec("rs1", {"ping", "-c1", "-W2", "192.0.2.11"}).ok());
  EXPECT_TRUE(l.start("lb1", "sleep2", {"sleep", "1000"}).running());
}

}  // namespace
}  // namespace lbha::lab
