// The lab's smoke test: real namespaces, a real bridge, real nftables rules.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "common/config/config.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/naming.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

// lbha-lab-server in `node` on its own address, answering "server <name>".
process& start_server(lab& l, const std::string& node, std::uint16_t port = 80,
                      const std::string& name = "", bool echo = false) {
  std::vector<std::string> argv{lab_server_binary().string(), l.at(node).ipv4, std::to_string(port),
                                "--name", name.empty() ? node : name};
  if (echo) argv.push_back("--echo");
  auto& p = l.start(node, "server-" + std::to_string(port), argv);
  const bool listening =
      wait_until([&] { return tcp_connect(l.at(node).netns, l.at(node).ipv4, port, 200ms); }, 5s);
  if (!listening) throw lab_error("lbha-lab-server did not start:\n" + p.logs());
  return p;
}

// A UDP socket in `node` bound to its address and `port`.
int udp_socket(lab& l, const std::string& node, std::uint16_t port) {
  const int fd = make_socket(l.at(node).netns, AF_INET, SOCK_DGRAM);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  ::inet_pton(AF_INET, l.at(node).ipv4.c_str(), &addr.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw lab_error("bind udp in " + node);
  }
  return fd;
}

// Sends `count` datagrams from `from` to `to`:port and counts how many arrive.
int udp_delivered(lab& l, const std::string& from, const std::string& to, std::uint16_t port,
                  int count) {
  const int tx = udp_socket(l, from, port);
  const int rx = udp_socket(l, to, port);
  sockaddr_in dest{};
  dest.sin_family = AF_INET;
  dest.sin_port = htons(port);
  ::inet_pton(AF_INET, l.at(to).ipv4.c_str(), &dest.sin_addr);
  int received = 0;
  char buffer[16];
  pollfd p{rx, POLLIN, 0};
  // Drain every 20 datagrams so the receive buffer never overflows: only the fault may drop.
  auto drain = [&](int quiet_ms) {
    while (::poll(&p, 1, quiet_ms) > 0) {
      if (::recv(rx, buffer, sizeof buffer, 0) > 0) ++received;
    }
  };
  for (int i = 0; i < count; ++i) {
    ::sendto(tx, "x", 1, 0, reinterpret_cast<sockaddr*>(&dest), sizeof dest);
    if (i % 20 == 19) drain(20);
  }
  // Delivery on a local bridge takes microseconds; 300 ms of silence means the rest are gone.
  drain(300);
  ::close(tx);
  ::close(rx);
  return received;
}

class lab_smoke_test : public lab_test {};

TEST_F(lab_smoke_test, client_reaches_both_real_servers_over_the_bridge) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 2, .clients = 1});
  start_server(l, "rs1");
  start_server(l, "rs2");

  const auto a = http_get(l.client(1).netns, l.server(1).ipv4, 80);
  ASSERT_TRUE(a.ok) << a.error;
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "server rs1\n");
  const auto b = http_get(l.client(1).netns, l.server(2).ipv4, 80);
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.body, "server rs2\n");

  // The same through a real client program run in the client's namespace.
  const auto curl = l.exec("client1", {"curl", "-sS", "--max-time", "3", "http://192.0.2.22/"});
  ASSERT_TRUE(curl.ok()) << curl.describe({"curl"});
  EXPECT_EQ(curl.out, "server rs2\n");
}

TEST_F(lab_smoke_test, partition_blocks_traffic_and_heal_restores_it) {
  auto& l = make_lab({.lb_nodes = 1, .servers = 2, .clients = 1});
  start_server(l, "rs1");
  start_server(l, "rs2");
  ASSERT_TRUE(http_get(l.client(1).netns, l.server(1).ipv4, 80).ok);

  const int id = l.partition("client1", "rs1");
  const auto blocked = http_get(l.client(1).netns, l.server(1).ipv4, 80, "/", 500ms);
  EXPECT_FALSE(blocked.ok) << "reached rs1 through a partition";
  // Only that pair is cut: the client still reaches rs2, and rs1 still reaches lb1.
  EXPECT_TRUE(http_get(l.client(1).netns, l.server(2).ipv4, 80).ok);
  EXPECT_TRUE(l.exec("rs1", {"ping", "-c1", "-W1", l.lb(1).ipv4}).ok());
  EXPECT_FALSE(l.exec("rs1", {"ping", "-c1", "-W1", l.client(1).ipv4}).ok());

  l.heal(id);
  const auto healed = http_get(l.client(1).netns, l.server(1).ipv4, 80);
  ASSERT_TRUE(healed.ok) << healed.error;
  EXPECT_EQ(healed.body, "server rs1\n");
}

TEST_F(lab_smoke_test, port_partition_cuts_only_that_port) {
  auto& l = make_lab({.lb_nodes = 0, .servers = 1, .clients = 1});
  start_server(l, "rs1", 80);
  start_server(l, "rs1", 8080);

  l.partition("client1", "rs1", {.port = port_match{transport::tcp, 8080}});
  EXPECT_FALSE(tcp_connect(l.client(1).netns, l.server(1).ipv4, 8080, 500ms));
  EXPECT_TRUE(http_get(l.client(1).netns, l.server(1).ipv4, 80).ok);
  EXPECT_EQ(udp_delivered(l, "client1", "rs1", 6694, 5), 5);

  l.heal();
  EXPECT_TRUE(tcp_connect(l.client(1).netns, l.server(1).ipv4, 8080, 1s));
}

TEST_F(lab_smoke_test, one_way_partition_drops_only_one_direction) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 0, .clients = 0});
  l.partition("lb1", "lb2", {.port = port_match{transport::udp, 6694}, .one_way = true});
  EXPECT_EQ(udp_delivered(l, "lb1", "lb2", 6694, 5), 0);
  EXPECT_EQ(udp_delivered(l, "lb2", "lb1", 6694, 5), 5);
  // Other ports between the two are untouched.
  EXPECT_EQ(udp_delivered(l, "lb1", "lb2", 7000, 5), 5);
  l.heal();
  EXPECT_EQ(udp_delivered(l, "lb1", "lb2", 6694, 5), 5);
}

TEST_F(lab_smoke_test, random_loss_drops_about_the_given_share) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 0, .clients = 0});
  l.loss("lb1", "lb2", 50, {.port = port_match{transport::udp, 6694}});
  // Binomial(400, 0.5): 200 ± 10 (1 sigma); 120..280 is 8 sigma either way.
  const int delivered = udp_delivered(l, "lb1", "lb2", 6694, 400);
  EXPECT_GT(delivered, 120);
  EXPECT_LT(delivered, 280);
}

TEST_F(lab_smoke_test, link_down_cuts_a_node_and_link_up_restores_it) {
  auto& l = make_lab({.lb_nodes = 0, .servers = 1, .clients = 1});
  start_server(l, "rs1");
  l.link_down("rs1");
  EXPECT_FALSE(tcp_connect(l.client(1).netns, l.server(1).ipv4, 80, 500ms));
  l.link_up("rs1");
  EXPECT_TRUE(wait_until(
      [&] { return http_get(l.client(1).netns, l.server(1).ipv4, 80, "/", 500ms).ok; }, 5s));
}

TEST_F(lab_smoke_test, exec_runs_in_the_node_and_reports_output_and_status) {
  auto& l = make_lab({.lb_nodes = 1, .servers = 0, .clients = 0});
  const auto addr = l.exec("lb1", {"ip", "-o", "-4", "addr", "show", "dev", "eth0"});
  ASSERT_TRUE(addr.ok()) << addr.err;
  EXPECT_NE(addr.out.find("192.0.2.11/24"), std::string::npos) << addr.out;
  // No route out of the lab: only the connected /24.
  const auto routes = l.exec("lb1", {"ip", "-4", "route", "show"});
  EXPECT_EQ(routes.out.find("default"), std::string::npos) << routes.out;

  const auto failing = l.exec("lb1", {"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(failing.status.code, 3);
  EXPECT_EQ(failing.out, "out\n");
  EXPECT_EQ(failing.err, "err\n");

  const auto input = l.exec("lb1", {"cat"}, {.stdin_data = "hello\n"});
  EXPECT_EQ(input.out, "hello\n");

  const auto slow = l.exec("lb1", {"sleep", "10"}, {.timeout = 200ms});
  EXPECT_TRUE(slow.timed_out);
  EXPECT_EQ(slow.status.signal, SIGKILL);

  const auto missing = l.exec("lb1", {"lbha-no-such-program"});
  EXPECT_EQ(missing.status.code, 127);
  EXPECT_THROW(l.exec_checked("lb1", {"false"}), lab_error);
}

TEST_F(lab_smoke_test, processes_stop_pause_resume_and_kill) {
  auto& l = make_lab({.lb_nodes = 1, .servers = 0, .clients = 0});
  auto& sleeper = l.start("lb1", "sleeper", {"sleep", "1000"});
  EXPECT_TRUE(sleeper.running());

  auto state = [&] {
    std::ifstream stat("/proc/" + std::to_string(sleeper.pid()) + "/stat");
    std::string pid, comm, s;
    stat >> pid >> comm >> s;
    return s;
  };
  sleeper.pause();
  EXPECT_TRUE(wait_until([&] { return state() == "T"; }, 2s));
  sleeper.resume();
  EXPECT_TRUE(wait_until([&] { return state() == "S"; }, 2s));
  EXPECT_EQ(sleeper.stop().signal, SIGTERM);

  // A process that ignores SIGTERM is killed after the grace period.
  auto& stubborn = l.start("lb1", "stubborn",
                           {"sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"});
  auto said_ready = [&] {
    std::ifstream out(stubborn.out_log());
    std::string line;
    return std::getline(out, line) && line == "ready";
  };
  ASSERT_TRUE(wait_until(said_ready, 2s));
  EXPECT_EQ(stubborn.stop(200ms).signal, SIGKILL);

  auto& crashed = l.start("lb1", "crash", {"sleep", "1000"});
  EXPECT_EQ(crashed.kill().signal, SIGKILL);
  auto& quick = l.start("lb1", "quick", {"sh", "-c", "exit 4"});
  const auto status = quick.wait(2s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->code, 4);

  EXPECT_THROW(l.start("lb1", "missing", {"/nonexistent/lbha-daemon"}), lab_error);
}

TEST_F(lab_smoke_test, teardown_leaves_no_namespace_process_or_directory) {
  std::string prefix;
  std::filesystem::path dir;
  pid_t pid = 0;
  {
    lab l({.lb_nodes = 2, .servers = 1, .clients = 1});
    prefix = l.prefix();
    dir = l.dir();
    l.partition("lb1", "lb2");
    pid = l.start("rs1", "sleeper", {"sleep", "3217"}).pid();
    // Something the lab did not start (a daemon's own child, say) is killed too.
    l.exec_checked("rs1", {"sh", "-c", "setsid sleep 3217 >/dev/null 2>&1 < /dev/null &"});
    EXPECT_EQ(run_namespaces(prefix).size(), 5u);
    EXPECT_TRUE(std::filesystem::exists(l.lb(1).run_dir()));
  }
  EXPECT_TRUE(run_namespaces(prefix).empty());
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_NE(::kill(pid, 0), 0);
  // Nothing was ever created in the root namespace.
  const auto links = run_command({"ip", "-o", "link", "show"});
  EXPECT_EQ(links.out.find(prefix), std::string::npos);
  EXPECT_EQ(run_command({"pgrep", "-f", "^sleep 3217$"}).status.code, 1)
      << "a sleep 3217 from the lab survived teardown";
}

TEST_F(lab_smoke_test, two_labs_at_once_do_not_collide) {
  auto& a = make_lab({.lb_nodes = 1, .servers = 1, .clients = 1});
  auto& b = make_lab({.lb_nodes = 1, .servers = 1, .clients = 1});
  EXPECT_NE(a.prefix(), b.prefix());
  // Same addresses in both, on separate bridges.
  EXPECT_EQ(a.server(1).ipv4, b.server(1).ipv4);
  start_server(a, "rs1", 80, "a-rs1");
  start_server(b, "rs1", 80, "b-rs1");
  EXPECT_EQ(http_get(a.client(1).netns, a.server(1).ipv4, 80).body, "server a-rs1\n");
  EXPECT_EQ(http_get(b.client(1).netns, b.server(1).ipv4, 80).body, "server b-rs1\n");

  // A fault in one lab does not touch the other.
  a.partition("client1", "rs1");
  EXPECT_FALSE(http_get(a.client(1).netns, a.server(1).ipv4, 80, "/", 500ms).ok);
  EXPECT_TRUE(http_get(b.client(1).netns, b.server(1).ipv4, 80).ok);
}

TEST_F(lab_smoke_test, stale_runs_of_dead_processes_are_cleaned_up) {
  // A pid that certainly belongs to no live process: a child that has exited and been reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);
  const std::string stale = run_name{child, 1, false}.prefix();
  run_checked({"ip", "netns", "add", stale + "-lb1"});
  run_checked({"ip", "netns", "add", stale + "-switch"});
  ASSERT_EQ(run_namespaces(stale).size(), 2u);

  // A kept run is left alone unless asked for.
  const std::string kept = run_name{child, 1, true}.prefix();
  run_checked({"ip", "netns", "add", kept + "-lb1"});

  // Building a lab runs the cleaner first.
  auto& l = make_lab({.lb_nodes = 1, .servers = 0, .clients = 0});
  EXPECT_TRUE(run_namespaces(stale).empty());
  EXPECT_EQ(run_namespaces(kept).size(), 1u);
  // ...but never touches a live run.
  EXPECT_EQ(run_namespaces(l.prefix()).size(), 2u);

  // (Not cleanup_stale({.include_kept = true}): that would also remove a
  // developer's `lbha-lab up` running beside the tests.)
  EXPECT_TRUE(destroy_run(kept));
  EXPECT_TRUE(run_namespaces(kept).empty());
  EXPECT_EQ(run_namespaces(l.prefix()).size(), 2u);
}

TEST_F(lab_smoke_test, a_kept_lab_is_attached_from_its_state_file_and_torn_down) {
  const auto state = std::filesystem::temp_directory_path() /
                     ("lbha-lab-state-" + std::to_string(::getpid()) + ".yaml");
  std::string prefix;
  {
    lab l({.lb_nodes = 2, .servers = 1, .clients = 1, .kept = true});
    prefix = l.prefix();
    l.partition("lb1", "lb2", {.port = port_match{transport::udp, 6694}});
    l.save_state(state);
    l.detach();
  }
  ASSERT_EQ(run_namespaces(prefix).size(), 5u) << "a detached lab must stay up";

  auto attached = lab::attach(state);
  EXPECT_EQ(attached->prefix(), prefix);
  ASSERT_EQ(attached->nodes().size(), 4u);
  EXPECT_EQ(attached->at("client1").ipv4, "192.0.2.31");
  ASSERT_EQ(attached->faults().size(), 1u);
  EXPECT_EQ(attached->faults()[0].scope.port->port, 6694);
  EXPECT_EQ(udp_delivered(*attached, "lb1", "lb2", 6694, 3), 0);
  attached->heal();
  EXPECT_EQ(udp_delivered(*attached, "lb1", "lb2", 6694, 3), 3);
  attached->down();
  EXPECT_TRUE(run_namespaces(prefix).empty());
  std::filesystem::remove(state);
}

TEST_F(lab_smoke_test, lb_nodes_get_their_own_directories_and_node_config) {
  auto& l = make_lab({.lb_nodes = 2, .servers = 0, .clients = 0, .ipv6 = true});
  const auto config = l.node_config(2);
  EXPECT_EQ(config.node_name(), "lb2");
  EXPECT_EQ(config.interface(), "eth0");
  ASSERT_EQ(config.local_addresses_size(), 1);
  EXPECT_EQ(config.local_addresses(0), "192.0.2.12");
  ASSERT_EQ(config.peer_addresses_size(), 1);
  EXPECT_EQ(config.peer_addresses(0), "192.0.2.11");
  EXPECT_LT(config.priority(), l.node_config(1).priority());
  EXPECT_EQ(config.directories().run_dir(), l.lb(2).run_dir().string());
  EXPECT_NE(l.lb(1).state_dir(), l.lb(2).state_dir());
  EXPECT_TRUE(std::filesystem::is_directory(l.lb(2).etc_dir()));

  // node.yaml round-trips through the project's own loader.
  const auto path = l.write_node_yaml(2);
  EXPECT_EQ(path, l.lb(2).etc_dir() / "node.yaml");
  const auto loaded = config::load_node_config(path);
  ASSERT_TRUE(loaded) << loaded.error().message();
  EXPECT_EQ(loaded.value().node_name(), "lb2");
  EXPECT_EQ(loaded.value().peer_addresses(0), "192.0.2.11");
  EXPECT_EQ(loaded.value().directories().state_dir(), l.lb(2).state_dir().string());
  auto bad = config;
  bad.set_priority(1000);
  EXPECT_THROW(l.write_node_yaml(1, bad), lab_error);

  // IPv6 from the documentation prefix, usable at once (no DAD).
  EXPECT_EQ(l.lb(1).ipv6, "2001:db8::11");
  EXPECT_TRUE(l.exec("lb1", {"ping", "-6", "-c1", "-W2", "2001:db8::12"}).ok());
}

}  // namespace
}  // namespace lbha::lab
