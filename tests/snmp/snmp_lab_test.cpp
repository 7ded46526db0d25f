// SNMP end to end: lbha-webd whole (the shared runtime with webd's spec, in
// process, as webd_daemon_test runs it) with doubles of the four daemons on
// its run directory's sockets, web.snmp_agentx pointing at Debian's real
// snmpd as the AgentX master, and snmptrapd as that snmpd's trap sink. Both
// run in a network namespace of their own (no port to clash with), where
// snmpwalk asks snmpd; lbha-webd reaches snmpd's AgentX socket by its path.
// Root (namespaces); label `lab`; seconds.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "common/asio.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab.hpp"
#include "tests/lab/naming.hpp"
#include "tests/lab/process.hpp"
#include "tests/lab/spawn.hpp"
#include "tests/lab/wait.hpp"
#include "tests/snmp/reads.hpp"
#include "tests/support/build_tree.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/web/fake_daemons.hpp"
#include "tests/web/web_status.hpp"
#include "web/webd.hpp"

namespace lbha::snmp {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* community = "lbhatest";
// The documented snmpd.conf lines (snmp/README.md "Setting it up").
constexpr const char* agentx_perms = "agentXPerms 0660 0755 -1 lbha";

std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

// DA_VIP on 192.0.2.10:443 with RIP1 and RIP2, both passing their checks.
v1::ProxyStatus two_servers(bool rip2_healthy) {
  v1::ProxyStatus reply;
  reply.set_generation(7);
  auto& service = test_reads::add_da_vip(reply);
  test_reads::add_server(service, "RIP1", "198.51.100.11", true);
  test_reads::add_server(service, "RIP2", "198.51.100.12", rip2_healthy);
  return reply;
}

v1::HaStatus lb1(v1::Role role, v1::Role peer) {
  v1::HaStatus reply;
  reply.set_node_name("lb1");
  reply.set_role(role);
  reply.set_peer_alive(true);
  reply.set_peer_role(peer);
  return reply;
}

class snmp_lab : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = lab::why_lab_unavailable(); !why.empty()) GTEST_SKIP() << why;
    for (const char* tool : {"snmpd", "snmptrapd", "snmpwalk", "setpriv", "/usr/bin/python3"}) {
      ASSERT_TRUE(lab::run_command({"sh", "-c", std::string("command -v ") + tool}).ok())
          << tool << " is not installed: scripts/install-deps installs it";
    }
    // The group the documented agentXPerms names (the package makes it).
    if (::getgrnam("lbha") == nullptr) {
      lab::run_checked({"groupadd", "--system", "lbha"});
      made_group_ = true;
    }
    lbha_gid_ = ::getgrnam("lbha")->gr_gid;
    netns_ = lab::next_run_name(false).prefix() + "-snmp";
    lab::run_checked({"ip", "netns", "add", netns_});
    lab::run_checked({"ip", "-n", netns_, "link", "set", "lo", "up"});
    const auto source = test_support::in_build_tree(LBHA_SOURCE_DIR);
    mibs_ = (source / "deploy/snmp").string() + ":" + (source / "tests/snmp/mibs").string();

    std::ofstream(dir_ / "snmpd.conf") << "master agentx\n"
                                       << "agentXSocket " << master().string() << "\n"
                                       << agentx_perms << "\n"
                                       << "rocommunity " << community << " 127.0.0.1\n"
                                       << "trap2sink 127.0.0.1:162 " << community << "\n";
    std::ofstream(dir_ / "snmptrapd.conf") << "disableAuthorization yes\n";

    ha_state_ = lb1(v1::ROLE_ACTIVE, v1::ROLE_PASSIVE);
    daemons_.ha.set(ha_state_);
    daemons_.proxy.set(two_servers(true));
    ASSERT_NO_FATAL_FAILURE(daemons_.serve(dir_ / "run"));
    std::filesystem::create_directories(dir_ / "etc");
    std::ofstream(dir_ / "node.yaml")
        << "node_name: lb1\ninterface: lo\nlocal_addresses: [127.0.0.1]\n"
        << "directories: {config_dir: " << (dir_ / "etc").string()
        << ", state_dir: " << (dir_ / "state").string() << ", run_dir: " << (dir_ / "run").string()
        << "}\nweb:\n  https_listen: 127.0.0.1:" << free_port()
        << "\n  metrics_listen: 127.0.0.1:" << free_port()
        << "\n  certificate: " << (dir_ / "web/cert.pem").string()
        << "\n  key: " << (dir_ / "web/key.pem").string()
        << "\n  snmp_agentx: " << master().string() << "\n";
    daemon_options options;
    options.node_config = dir_ / "node.yaml";
    runtime_ = std::make_unique<daemon_runtime>(web::webd_spec(), options, clock_, supervisor_);
    auto started = runtime_->start();
    ASSERT_TRUE(started) << started.error();
    webd_ = std::async(std::launch::async, [this] { runtime_->run(); });
    // snmpd after lbha-webd: the subagent finds no master at its start and
    // connects when there is one (the walk below waits for it).
    ASSERT_NO_FATAL_FAILURE(start_snmpd());
    traps_ = start("snmptrapd",
                   {"/usr/sbin/snmptrapd", "-f", "-C", "-c", (dir_ / "snmptrapd.conf").string(),
                    "-Lf", traps_log().string(), "-M+" + mibs_, "-m", "LBHA-MIB", "-p",
                    (dir_ / "snmptrapd.pid").string(), "udp:127.0.0.1:162"});
  }

  void TearDown() override {
    if (runtime_ && webd_.valid()) {
      runtime_->request_stop();
      EXPECT_EQ(webd_.wait_for(10s), std::future_status::ready) << "lbha-webd did not stop";
    }
    if (HasFailure()) {
      for (auto* p : {snmpd_.get(), traps_.get()}) {
        if (p) std::cerr << p->logs().substr(0, 4000) << "\n";
      }
      std::cerr << "---- traps\n" << read(traps_log()) << "\n";
    }
    snmpd_.reset();
    traps_.reset();
    if (!netns_.empty()) lab::run_command({"ip", "netns", "del", netns_});
    if (made_group_) lab::run_command({"groupdel", "lbha"});
  }

  std::filesystem::path master() const { return dir_ / "agentx/master"; }
  std::filesystem::path traps_log() const { return dir_ / "traps.log"; }

  std::unique_ptr<lab::process> start(const std::string& name,
                                      const std::vector<std::string>& argv) {
    const auto out = dir_ / (name + ".out");
    const auto err = dir_ / (name + ".err");
    const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    lab::spawn_request request;
    request.argv = argv;
    request.netns = netns_;
    request.env = {{"SNMP_PERSISTENT_DIR", (dir_ / name).string()}};
    request.stdout_fd = out_fd;
    request.stderr_fd = err_fd;
    const auto pid = lab::spawn(request);
    ::close(out_fd);
    ::close(err_fd);
    return std::make_unique<lab::process>("snmp", name, argv, pid, out, err);
  }

  // snmpd's own MIB modules are left unloaded (-m ""): Debian has no IETF
  // MIB for them, and their warnings would bury the log.
  void start_snmpd() {
    snmpd_ = start("snmpd", {"/usr/sbin/snmpd", "-f", "-C", "-c", (dir_ / "snmpd.conf").string(),
                             "-Lf", (dir_ / "snmpd.log").string(), "-m", "", "-p",
                             (dir_ / "snmpd.pid").string(), "udp:127.0.0.1:161"});
    ASSERT_TRUE(lab::wait_until([&] { return std::filesystem::exists(master()); }, 10s))
        << "snmpd made no AgentX socket: " << read(dir_ / "snmpd.log");
  }

  static std::string read(const std::filesystem::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  std::string walk(const std::string& tool = "snmpwalk") {
    const auto r =
        lab::run_command({tool, "-v2c", "-c", community, "-t", "1", "-r", "0", "-M+" + mibs_, "-m",
                          "LBHA-MIB", "udp:127.0.0.1:161", ".1.3.6.1.3.6694"},
                         {.netns = netns_});
    return r.out + r.err;
  }

  // The varbind line of the trap `name` (snmptrapd prints a header line,
  // then the varbinds tab-separated on one line), "" until it arrived.
  std::string trap_line(const std::string& name) {
    std::istringstream in(read(traps_log()));
    for (std::string line; std::getline(in, line);) {
      if (line.find("OID: LBHA-MIB::" + name + "\t") != std::string::npos) return line;
    }
    return "";
  }

  std::string wait_for_trap(const std::string& name) {
    lab::wait_until([&] { return !trap_line(name).empty(); }, 10s, 100ms);
    return trap_line(name);
  }

  v1::WebStatus web_status() { return web::test_doubles::web_status(dir_ / "run"); }

  // Whether a process of uid/gid 65534 with these supplementary groups can
  // connect to the AgentX socket (what lbha-webd does as lbha-web).
  bool can_connect_as_nobody(const std::string& groups) {
    return lab::run_command(
               {"setpriv", "--reuid=65534", "--regid=65534", groups, "/usr/bin/python3", "-c",
                "import socket,sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])",
                master().string()})
        .ok();
  }

  test_support::scratch_dir dir_{"snmp"};
  std::string netns_;
  std::string mibs_;
  bool made_group_ = false;
  gid_t lbha_gid_ = 0;
  std::unique_ptr<lab::process> snmpd_;
  std::unique_ptr<lab::process> traps_;
  web::test_doubles::fake_node daemons_;
  v1::HaStatus ha_state_;
  steady_clock clock_;
  systemd_supervisor supervisor_;
  std::unique_ptr<daemon_runtime> runtime_;
  std::future<void> webd_;
};

TEST_F(snmp_lab, walk_traps_and_a_restarted_snmpd) {
  // The walk: what the doubles report, under LBHA-MIB's names.
  std::string out;
  ASSERT_TRUE(lab::wait_until(
      [&] { return (out = walk()).find("lbhaNodeName.0 = STRING: lb1") != std::string::npos; }, 10s,
      200ms))
      << out;
  for (const char* line : {
           "LBHA-MIB::lbhaHaRole.0 = INTEGER: active(3)",
           "LBHA-MIB::lbhaHaPeerRole.0 = INTEGER: passive(2)",
           "LBHA-MIB::lbhaHeartbeatdUp.0 = INTEGER: true(1)",
           "LBHA-MIB::lbhaReplicatordUp.0 = INTEGER: true(1)",
           "LBHA-MIB::lbhaConfigGeneration.0 = Gauge32: 7",
           "LBHA-MIB::lbhaVsName.1 = STRING: DA_VIP",
           "LBHA-MIB::lbhaVsIp.1 = STRING: 192.0.2.10",
           "LBHA-MIB::lbhaVsPorts.1 = STRING: 443",
           "LBHA-MIB::lbhaVsTotalConns.1 = Counter64: 5000000000",
           "LBHA-MIB::lbhaVsState.1 = INTEGER: up(1)",
           "LBHA-MIB::lbhaRsName.1.1 = STRING: RIP1",
           "LBHA-MIB::lbhaRsName.1.2 = STRING: RIP2",
           "LBHA-MIB::lbhaRsIp.1.2 = STRING: 198.51.100.12",
           "LBHA-MIB::lbhaRsWeight.1.2 = Gauge32: 100",
           "LBHA-MIB::lbhaRsState.1.2 = INTEGER: up(1)",
       }) {
    EXPECT_THAT(out, HasSubstr(std::string(line) + "\n"));
  }
  EXPECT_THAT(out, ::testing::Not(HasSubstr("lbhaHaPreviousRole"))) << "accessible-for-notify";
  EXPECT_EQ(walk("snmpbulkwalk"), out) << "GETBULK answers as GETNEXT does";

  // The documented agentXPerms: the socket root:lbha 0660 in a 0755
  // directory, so lbha-web (group lbha, no root) reconnects and nobody else.
  struct stat socket_stat {};
  ASSERT_EQ(::stat(master().c_str(), &socket_stat), 0);
  EXPECT_EQ(socket_stat.st_mode & 0777, 0660u);
  EXPECT_EQ(socket_stat.st_gid, lbha_gid_);
  EXPECT_TRUE(can_connect_as_nobody("--groups=" + std::to_string(lbha_gid_)));
  EXPECT_FALSE(can_connect_as_nobody("--clear-groups"));

  // A role change, a real server down, then up: one trap each, in order.
  ha_state_.set_role(v1::ROLE_PASSIVE);
  ha_state_.set_peer_role(v1::ROLE_ACTIVE);
  daemons_.ha.set(ha_state_);
  const auto role = wait_for_trap("lbhaRoleChange");
  ASSERT_NE(role, "") << "no lbhaRoleChange";
  EXPECT_THAT(role, HasSubstr("LBHA-MIB::lbhaNodeName.0 = STRING: lb1\t"));
  EXPECT_THAT(role, HasSubstr("LBHA-MIB::lbhaHaPreviousRole.0 = INTEGER: active(3)\t"));
  EXPECT_THAT(role, HasSubstr("LBHA-MIB::lbhaHaRole.0 = INTEGER: passive(2)"));

  daemons_.proxy.set(two_servers(false));
  const auto down = wait_for_trap("lbhaRealServerDown");
  ASSERT_NE(down, "") << "no lbhaRealServerDown";
  EXPECT_THAT(down, HasSubstr("LBHA-MIB::lbhaVsName.1 = STRING: DA_VIP\t"));
  EXPECT_THAT(down, HasSubstr("LBHA-MIB::lbhaRsName.1.2 = STRING: RIP2\t"));
  EXPECT_THAT(down, HasSubstr("LBHA-MIB::lbhaRsIp.1.2 = STRING: 198.51.100.12\t"));
  EXPECT_THAT(down, HasSubstr("LBHA-MIB::lbhaRsPort.1.2 = Gauge32: 443\t"));
  EXPECT_THAT(down, HasSubstr("LBHA-MIB::lbhaRsState.1.2 = INTEGER: down(2)"));
  EXPECT_THAT(walk(), HasSubstr("LBHA-MIB::lbhaRsState.1.2 = INTEGER: down(2)\n"));

  daemons_.proxy.set(two_servers(true));
  const auto up = wait_for_trap("lbhaRealServerUp");
  ASSERT_NE(up, "") << "no lbhaRealServerUp";
  EXPECT_THAT(up, HasSubstr("LBHA-MIB::lbhaRsName.1.2 = STRING: RIP2\t"));
  EXPECT_THAT(up, HasSubstr("LBHA-MIB::lbhaRsState.1.2 = INTEGER: up(1)"));

  auto status = web_status();
  EXPECT_EQ(status.snmp_agentx(), master().string());
  EXPECT_TRUE(status.snmp_connected());
  EXPECT_EQ(status.snmp_traps_sent(), 3u);
  EXPECT_EQ(status.snmp_traps_dropped(), 0u);
  EXPECT_GE(status.snmp_snapshots(), 4u);

  // snmpd restarted under lbha-webd: the subagent notices, connects again
  // and the walk answers within seconds.
  snmpd_->stop();
  EXPECT_TRUE(lab::wait_until([&] { return !web_status().snmp_connected(); }, 5s, 100ms))
      << "the subagent did not notice snmpd go";
  ASSERT_NO_FATAL_FAILURE(start_snmpd());
  EXPECT_TRUE(lab::wait_until(
      [&] { return (out = walk()).find("lbhaVsName.1 = STRING: DA_VIP") != std::string::npos; },
      10s, 200ms))
      << out;
  EXPECT_TRUE(web_status().snmp_connected());
}

}  // namespace
}  // namespace lbha::snmp
