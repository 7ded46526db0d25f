// lbha-demo: the product lab for a newcomer (scripts/demo runs it).
//
// Brings up two container LB nodes, starts sshd and the four daemons on each,
// pairs them with `lbctl pair`, configures the seed's deployment with lbctl
// alone, and shows `lbctl status` on both nodes. Then, with a sticky client
// (client1 -> IIS_VIP, source-IP persistence) and a plain one (client2 ->
// DA_VIP) probing every 20 ms, it runs `lbctl make-active` on the passive node
// and then unplugs the active node, printing after each the longest outage the
// clients saw, which real server the sticky client is on, and the status.
//
//   lbha-demo [--keep STATE_FILE]
//
// --keep leaves the lab running (state in STATE_FILE) and prints how to enter
// each node; `lbha-lab --state STATE_FILE down` removes it.
#include <sys/types.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "tests/lab/binaries.hpp"
#include "tests/lab/client_probe.hpp"
#include "tests/lab/command.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/wait.hpp"
#include "tests/product/product.hpp"

namespace {

using namespace std::chrono_literals;
using lbha::lab::client_probe;
using lbha::lab::product_lab;

void step(const std::string& what) { std::cout << "\n== " << what << "\n" << std::flush; }

// Runs lbctl on node i, echoing the command line as an operator would type it.
bool run_lbctl(product_lab& p, int i, const std::vector<std::string>& args) {
  std::cout << "lb" << i << "# lbctl " << lbha::lab::join_argv(args) << "\n";
  const auto r = p.lbctl(i, args);
  std::cout << r.out << r.err << std::flush;
  return r.ok();
}

void show_status(product_lab& p) {
  for (int i = 1; i <= 2; ++i) run_lbctl(p, i, {"status"});
}

void show_clients(client_probe& sticky, client_probe& plain) {
  for (client_probe* probe : {&sticky, &plain}) {
    const auto outage = probe->longest_outage();
    std::cout << "  " << probe->options().name << ": longest outage " << outage.length.count()
              << " ms";
    const auto servers = probe->server_sequence();
    if (!servers.empty()) std::cout << ", now on " << servers.back();
    if (probe->options().sticky) {
      const auto moved = probe->sticky_violation();
      std::cout << (moved.empty() ? " (sticky: never moved)" : " (MOVED: " + moved + ")");
    }
    std::cout << "\n";
  }
  std::cout << std::flush;
}

// Where each node's WebUI is, and how to reach it: the lab has no route from
// the host, so from a client's namespace (client1, 192.0.2.31).
void show_webui(product_lab& p) {
  for (int i = 1; i <= 2; ++i) {
    std::cout << "lb" << i << " WebUI: https://" << p.lb(i).ipv4 << ":9443/lbadmin/  (log in as "
              << product_lab::web_admin << ", password "
              << p.web_password(i, product_lab::web_admin) << "; " << product_lab::web_viewer
              << " / " << p.web_password(i, product_lab::web_viewer) << " looks only)\n";
  }
  std::cout << "  from the lab's client1: ip netns exec " << p.lab().client(1).netns
            << " curl -sk https://" << p.lb(1).ipv4 << ":9443/lbadmin/login\n";
}

int owner_or_throw(product_lab& p, int expected) {
  const int owner = p.wait_for_single_owner(10s);
  if (owner != expected) {
    throw lbha::lab::lab_error("expected lb" + std::to_string(expected) +
                               " to own the VIPs, owner is " + std::to_string(owner));
  }
  return owner;
}

int run(const std::string& keep_state) {
  step(
      "lab up: lb1 and lb2 (containers), rs1 and rs2 (IIS1/DA1, IIS2/DA2), client1, client2, "
      "ping node client3");
  product_lab p({.configure = false, .kept = !keep_state.empty(), .web = true});
  std::cout << "lb1 " << p.lb(1).ipv4 << ", lb2 " << p.lb(2).ipv4
            << "; each runs OpenSSH sshd; /etc/lbha/node.yaml written on both\n";

  step(
      "start lbha-proxyd, lbha-syncd, lbha-heartbeatd, lbha-replicatord and lbha-webd on both "
      "nodes (no flags: /etc/lbha, /var/lib/lbha, /run/lbha; webd as lbha-web)");
  for (int i = 1; i <= 2; ++i) p.start_daemons(i);
  show_webui(p);

  step("pair the nodes: on lb1, lbctl pair (lb2's host key confirmed, its password locked after)");
  const auto paired = p.pair();
  std::cout << paired.out << paired.err;
  if (!paired.ok()) throw lbha::lab::lab_error("lbctl pair failed");

  step("configure the seed's deployment on lb1 with lbctl (replicated to lb2 on every commit)");
  for (const auto& args : p.seed_commands()) {
    if (!run_lbctl(p, 1, args)) throw lbha::lab::lab_error("lbctl failed");
  }
  owner_or_throw(p, 1);
  step("lbctl status on both nodes");
  show_status(p);

  step("client traffic: client1 -> IIS_VIP:443 (sticky), client2 -> DA_VIP:9001, every 20 ms");
  client_probe sticky({.name = "client1 -> IIS_VIP",
                       .netns = p.lab().client(1).netns,
                       .ip = product_lab::iis_vip,
                       .port = product_lab::iis_port,
                       .sticky = true});
  client_probe plain({.name = "client2 -> DA_VIP",
                      .netns = p.lab().client(2).netns,
                      .ip = product_lab::da_vip,
                      .port = product_lab::da_port});
  if (!lbha::lab::wait_until([&] { return sticky.successes() > 10 && plain.successes() > 10; },
                             10s)) {
    throw lbha::lab::lab_error("the clients are not served through the VIPs:\n" +
                               sticky.describe() + "\n" + plain.describe());
  }
  show_clients(sticky, plain);

  step("planned switch-over: lbctl make-active on the passive node lb2");
  sticky.reset();
  plain.reset();
  run_lbctl(p, 2, {"make-active"});
  owner_or_throw(p, 2);
  std::this_thread::sleep_for(1s);
  show_clients(sticky, plain);
  show_status(p);

  step("failure: unplug the active node lb2 (its switch port goes down)");
  sticky.reset();
  plain.reset();
  p.lab().link_down("lb2");
  lbha::lab::wait_until([&] { return p.owner_of(product_lab::iis_vip) == 1; }, 10s);
  std::this_thread::sleep_for(2s);
  show_clients(sticky, plain);
  run_lbctl(p, 1, {"status"});
  sticky.stop();
  plain.stop();

  if (!keep_state.empty()) {
    p.lab().link_up("lb2");
    p.keep(keep_state);
    step("kept: the lab stays up (lb2 plugged back in)");
    const auto lbctl = lbha::lab::built_binary(LBHA_LBCTL_PATH).string();
    for (int i = 1; i <= 2; ++i) {
      // nsenter needs a process inside the node's PID namespace: its PID 1, the holder's child.
      const auto holder = std::to_string(p.lb(i).container_pid);
      pid_t init = 0;
      std::ifstream("/proc/" + holder + "/task/" + holder + "/children") >> init;
      std::cout << "  enter lb" << i << ":  nsenter -a -r -w -t " << init
                << " bash    (then: " << lbctl << " status)\n";
    }
    show_webui(p);
    std::cout << "  or:         build/tests/lab/lbha-lab --state " << keep_state << " exec lb1 -- "
              << lbctl << " status\n"
              << "  remove it:  build/tests/lab/lbha-lab --state " << keep_state << " down\n";
    return 0;
  }
  step("lab down");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string keep_state;
  if (argc == 3 && std::strcmp(argv[1], "--keep") == 0) {
    keep_state = argv[2];
  } else if (argc != 1) {
    std::cerr << "usage: lbha-demo [--keep STATE_FILE]\n";
    return 2;
  }
  try {
    return run(keep_state);
  } catch (const std::exception& e) {
    std::cerr << "lbha-demo: " << e.what() << "\n";
    return 1;
  }
}
