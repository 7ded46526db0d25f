// The audits' self-test (root, label `lab`, no lbha daemon): every check of
// audit.hpp fails when the pair is broken in the way it guards against, and
// passes when it is not. VIPs are added by hand with `ip addr`, the "daemons"
// are lbha-lab-servers and sleeps, and lbctl is a double with canned JSON in
// lbctl's real formats.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>

#include "tests/lab/audit.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/client_probe.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/vip_watch.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;

const std::string vip4 = "192.0.2.100";
const std::string vip6 = "2001:db8::100";

bool mentions(const audit_report& report, const std::string& text) {
  for (const auto& f : report.failures) {
    if (f.find(text) != std::string::npos) return true;
  }
  return false;
}

class audit_lab_test : public lab_test {
 protected:
  void hold(const std::string& node, const std::string& vip) {
    const std::string cidr = vip + (vip.find(':') != std::string::npos ? "/64" : "/24");
    std::vector<std::string> argv{"ip", "addr", "add", cidr, "dev", "eth0"};
    if (vip.find(':') != std::string::npos) argv.push_back("nodad");
    lab_->exec_checked(node, argv);
  }
  void release(const std::string& node, const std::string& vip) {
    const std::string cidr = vip + (vip.find(':') != std::string::npos ? "/64" : "/24");
    lab_->exec_checked(node, {"ip", "addr", "del", cidr, "dev", "eth0"});
  }
  std::string mac_of(const std::string& node) {
    return link_mac(lab_->exec_checked(node, {"ip", "-j", "link", "show", "dev", "eth0"}).out)
        .value_or("?");
  }
  // The client talks to the VIP (a refused connection resolves the neighbour too).
  void touch(const std::string& vip) {
    tcp_connect(lab_->client(1).netns, vip, 80, 500ms);
    ASSERT_TRUE(wait_until(
        [&] {
          const auto r = lab_->exec("client1", {"ip", "-j", "neigh", "show", "to", vip});
          return neighbour_mac(r.out, vip).has_value();
        },
        2s))
        << "client1 never resolved " << vip;
  }
  audit_input input(std::string scenario) {
    return {.scenario = std::move(scenario),
            .topology = lab_,
            .lb_nodes = {"lb1", "lb2"},
            .vips = {vip4, vip6},
            .clients = {"client1"},
            .watch = watch_,
            .settle = 300ms};
  }

  lab* lab_ = nullptr;
  const vip_watch* watch_ = nullptr;  // given to the audits when set
};

TEST_F(audit_lab_test, vip_owner_and_neighbour_checks_and_the_watch_see_dual_and_no_owner) {
  lab_ = &make_lab({.lb_nodes = 2, .servers = 0, .clients = 1, .ipv6 = true});
  vip_watch watch(*lab_, {"lb1", "lb2"}, {vip4, vip6});
  watch_ = &watch;

  auto nobody = audit(input("self_test_no_owner"));
  EXPECT_TRUE(mentions(nobody, "vip_owner: 192.0.2.100 is held by no LB node"))
      << nobody.describe();
  EXPECT_TRUE(mentions(nobody, "vip_owner: 2001:db8::100 is held by no LB node"));

  hold("lb1", vip4);
  hold("lb1", vip6);
  ASSERT_TRUE(wait_until([&] { return watch.ownership(vip4).owners.size() == 1; }, 2s));
  touch(vip4);
  touch(vip6);
  watch.reset();
  auto good = audit(input("self_test_one_owner"));
  EXPECT_TRUE(good.ok()) << good.describe();
  EXPECT_EQ(good.notes,
            std::vector<std::string>{"no lbctl given: generation and persistence not checked"});
  EXPECT_EQ(good.result_line,
            "LAB-RESULT scenario=self_test_one_owner dual_owner_ms=0 no_owner_ms=0 "
            "client_outage_ms=0");

  // Both nodes hold the VIP for ~200 ms.
  hold("lb2", vip4);
  std::this_thread::sleep_for(200ms);
  auto dual = audit(input("self_test_dual_owner"));
  EXPECT_TRUE(mentions(dual, "vip_owner: 192.0.2.100 is held by lb1 and lb2 (dual owner)"))
      << dual.describe();
  EXPECT_TRUE(mentions(dual, "lb2 add 192.0.2.100 eth0")) << "the timeline is printed";
  std::cout << "what a dual owner looks like:\n" << dual.describe();
  release("lb2", vip4);
  ASSERT_TRUE(wait_until([&] { return watch.ownership(vip4).owners.size() == 1; }, 2s));
  const auto dual_ms = watch.ownership(vip4).dual_owner;
  EXPECT_GE(dual_ms, 200ms);
  EXPECT_LT(dual_ms, 2000ms);
  EXPECT_EQ(watch.ownership(vip6).dual_owner, 0ms);
  // The audit measured the dual ownership that was still going on.
  const auto dual_at = dual.result_line.find(" dual_owner_ms=");
  ASSERT_NE(dual_at, std::string::npos) << dual.result_line;
  EXPECT_GE(std::stol(dual.result_line.substr(dual_at + 15)), 100) << dual.result_line;

  // The client's entry for the VIP points at lb2, which does not hold it.
  const auto lb1_mac = mac_of("lb1");
  const auto lb2_mac = mac_of("lb2");
  lab_->exec_checked("client1", {"ip", "neigh", "replace", vip4, "lladdr", lb2_mac, "dev", "eth0",
                                 "nud", "permanent"});
  auto stale = audit(input("self_test_wrong_mac"));
  EXPECT_TRUE(mentions(stale, "neighbour: client1 has 192.0.2.100 at " + lb2_mac +
                                  " (lb2's eth0), but its owner lb1's eth0 is " + lb1_mac))
      << stale.describe();
  EXPECT_FALSE(mentions(stale, "2001:db8::100 at")) << stale.describe();
  std::cout << "what a wrong neighbour entry looks like:\n" << stale.describe();
  lab_->exec_checked("client1", {"ip", "neigh", "del", vip4, "dev", "eth0"});
  auto forgotten = audit(input("self_test_no_neighbour"));
  EXPECT_TRUE(mentions(forgotten,
                       "neighbour: client1 has no neighbour entry with a MAC for "
                       "192.0.2.100 (owner lb1"))
      << forgotten.describe();

  // Nobody holds it for ~200 ms.
  release("lb1", vip4);
  std::this_thread::sleep_for(200ms);
  hold("lb2", vip4);
  ASSERT_TRUE(wait_until([&] { return watch.ownership(vip4).owners.size() == 1; }, 2s));
  EXPECT_EQ(watch.ownership(vip4).owners, std::vector<std::string>{"lb2"});
  EXPECT_GE(watch.ownership(vip4).no_owner, 200ms);
  EXPECT_LT(watch.ownership(vip4).no_owner, 2000ms);
  EXPECT_GE(watch.worst_no_owner(), 200ms);
  const auto timeline = watch.timeline();
  EXPECT_NE(timeline.find("lb1 del 192.0.2.100"), std::string::npos) << timeline;
  EXPECT_NE(timeline.find("lb2 add 192.0.2.100"), std::string::npos) << timeline;
}

TEST_F(audit_lab_test, a_stopped_server_is_an_outage_and_exited_processes_are_named) {
  lab_ = &make_lab({.lb_nodes = 2, .servers = 1, .clients = 1});
  const auto& rs1 = lab_->server(1);
  const std::vector<std::string> serve{lab_server_binary(), rs1.ipv4, "80", "--name", "rs1"};
  auto* server = &lab_->start("rs1", "http", serve);
  client_probe probe({.name = "client1 -> rs1", .netns = lab_->client(1).netns, .ip = rs1.ipv4});
  ASSERT_TRUE(wait_until([&] { return probe.successes() >= 5; }, 3s)) << probe.describe();

  server->stop();
  const auto stopped = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(500ms);
  auto* again = &lab_->start("rs1", "http-again", serve);
  const auto restarted = std::chrono::steady_clock::now();
  const int before = probe.successes();
  ASSERT_TRUE(wait_until([&] { return probe.successes() >= before + 5; }, 3s)) << probe.describe();
  probe.stop();

  const auto outage = probe.longest_outage().length;
  const auto down = std::chrono::duration_cast<std::chrono::milliseconds>(restarted - stopped);
  EXPECT_GE(outage, down - 40ms) << probe.describe();
  EXPECT_LT(outage, down + 500ms) << probe.describe();
  EXPECT_EQ(probe.server_sequence(), std::vector<std::string>{"rs1"});
  std::cout << "stopped for " << down.count() << " ms; measured " << probe.describe() << "\n";

  // A process that crashes is named as a crash.
  auto& crasher = lab_->start("lb1", "crasher", {"sleep", "60"});
  crasher.signal(SIGSEGV);
  ASSERT_TRUE(crasher.wait(2s).has_value());

  audit_input in{.scenario = "self_test_outage",
                 .topology = lab_,
                 .daemons = {server, again, &crasher},
                 .probes = {{&probe, 300ms}},
                 .settle = 0ms};
  auto report = audit(in);
  EXPECT_TRUE(mentions(report, "probe: client1 -> rs1: longest outage")) << report.describe();
  EXPECT_TRUE(mentions(report, "> budget 300 ms"));
  // lbha-lab-server ends cleanly on SIGTERM: any exit of a listed process fails.
  EXPECT_TRUE(mentions(
      report, "daemon: rs1 http (pid " + std::to_string(server->pid()) + ") exited: exit 0"))
      << report.describe();
  EXPECT_TRUE(mentions(report, "daemon: lb1 crasher (pid " + std::to_string(crasher.pid()) +
                                   ") exited: signal 11 (SIGSEGV: crashed"))
      << report.describe();
  EXPECT_FALSE(mentions(report, "http-again"));
  EXPECT_EQ(report.failures.size(), 3u) << report.describe();
  EXPECT_NE(report.result_line.find(" client_outage_ms=" + std::to_string(outage.count())),
            std::string::npos)
      << report.result_line;

  in.daemons = {again};
  in.probes = {{&probe, 2000ms}};
  auto within = audit(in);
  EXPECT_TRUE(within.ok()) << within.describe();
}

TEST_F(audit_lab_test, a_sticky_probe_fails_when_another_server_answers) {
  lab_ = &make_lab({.lb_nodes = 2, .servers = 1, .clients = 1});
  const auto& rs1 = lab_->server(1);
  const auto serve = [&](const std::string& name) {
    return &lab_->start("rs1", name, {lab_server_binary(), rs1.ipv4, "80", "--name", name});
  };
  client_probe sticky(
      {.name = "client1 sticky", .netns = lab_->client(1).netns, .ip = rs1.ipv4, .sticky = true});
  // The address answers as rs1, then rs2, then rs1 again: a client moved between real servers.
  for (const char* name : {"rs1", "rs2", "rs1b"}) {
    auto* server = serve(name);
    const int before = sticky.successes();
    ASSERT_TRUE(wait_until([&] { return sticky.successes() >= before + 3; }, 3s))
        << sticky.describe();
    server->stop();
  }
  sticky.stop();
  EXPECT_EQ(sticky.server_sequence(), (std::vector<std::string>{"rs1", "rs2", "rs1b"}));
  const auto moved = sticky.sticky_violation();
  EXPECT_NE(moved.find("client1 sticky is sticky but was answered by 3 servers"), std::string::npos)
      << moved;
  EXPECT_NE(moved.find("first rs1, then rs2 at +"), std::string::npos) << moved;
  auto report = audit({.scenario = "self_test_sticky",
                       .topology = lab_,
                       .probes = {{&sticky, 10s}},
                       .settle = 0ms});
  EXPECT_TRUE(mentions(report, "sticky: client1 sticky is sticky")) << report.describe();

  client_probe steady_client(
      {.name = "client1 steady", .netns = lab_->client(1).netns, .ip = rs1.ipv4, .sticky = true});
  serve("rs1c");
  ASSERT_TRUE(wait_until([&] { return steady_client.successes() >= 5; }, 3s));
  EXPECT_EQ(steady_client.sticky_violation(), "");
}

// lbctl on each node, as canned JSON in lbctl's formats; `diverge_for` calls
// per node disagree before they agree (a replication still converging).
struct fake_lbctl {
  std::map<std::string, std::string> generation{{"lb1", "8"}, {"lb2", "8"}};
  std::map<std::string, std::string> server_of_31{{"lb1", "IIS1"}, {"lb2", "IIS1"}};
  std::map<std::string, int> exit_code{{"lb1", 0}, {"lb2", 0}};
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);

  command_result operator()(const std::string& node, const std::vector<std::string>& args) const {
    ++*calls;
    command_result r;
    r.status.code = exit_code.at(node);
    if (r.status.code != 0) {
      r.err =
          "lbctl: lbha-proxyd did not answer on /run/lbha/proxyd.sock: connect failed; is it "
          "running? (systemctl status lbha-proxyd)\n";
      return r;
    }
    if (args == std::vector<std::string>{"status", "--json"}) {
      r.out = R"({"schema": "lbha.status.v1", "ha": {"node_name": ")" + node +
              R"(", "config_generation": ")" + generation.at(node) +
              R"("}, "ha_error": "", "proxy": {"generation": ")" + generation.at(node) +
              R"(", "virtual_services": []}, "proxy_error": ""})";
    } else if (args == std::vector<std::string>{"persistence", "show", "--json"}) {
      r.out = R"({"schema": "lbha.persistence.v1", "entries": [)"
              "\n  "
              R"({"service": "IIS_VIP", "client": "192.0.2.31", "server": ")" +
              server_of_31.at(node) +
              R"(", "expires_in_ms": 1799500})"
              "\n]}\n";
    } else {
      r.status.code = 2;
      r.err = "unexpected lbctl call";
    }
    return r;
  }
};

TEST_F(audit_lab_test, generation_and_persistence_are_compared_across_nodes) {
  lab_ = &make_lab({.lb_nodes = 2, .servers = 0, .clients = 1});
  hold("lb1", vip4);
  touch(vip4);
  auto in = input("self_test_lbctl");
  in.vips = {vip4};

  fake_lbctl lbctl;
  in.lbctl = lbctl;
  auto agree = audit(in);
  EXPECT_TRUE(agree.ok()) << agree.describe();
  EXPECT_TRUE(agree.notes.empty());

  lbctl.generation["lb2"] = "7";
  lbctl.server_of_31["lb2"] = "IIS2";
  in.lbctl = lbctl;
  auto differ = audit(in);
  EXPECT_TRUE(mentions(differ,
                       "generation: lb1: proxyd 8, heartbeatd 8; lb2: proxyd 7, "
                       "heartbeatd 7"))
      << differ.describe();
  EXPECT_TRUE(mentions(differ, "persistence: IIS_VIP 192.0.2.31: lb1 IIS1, lb2 IIS2"));
  EXPECT_EQ(differ.failures.size(), 2u) << differ.describe();

  lbctl.exit_code["lb2"] = 3;
  in.lbctl = lbctl;
  auto down = audit(in);
  EXPECT_TRUE(mentions(down,
                       "persistence: lbctl persistence show --json on lb2 failed: exit 3: "
                       "lbctl: lbha-proxyd did not answer"))
      << down.describe();
  EXPECT_TRUE(mentions(down, "generation: lbctl status --json on lb2 failed"));

  // Diverged for the first rounds, then converged within the settle time: passes.
  fake_lbctl converging;
  auto calls = converging.calls;
  in.lbctl = [converging, calls](const std::string& node, const std::vector<std::string>& args) {
    auto copy = converging;
    if (*calls < 8) copy.server_of_31["lb2"] = "IIS2";
    return copy(node, args);
  };
  in.settle = 3s;
  auto settled = audit(in);
  EXPECT_TRUE(settled.ok()) << settled.describe();
  EXPECT_GT(calls->load(), 8);
}

}  // namespace
}  // namespace lbha::lab
