#include "tests/lab/lab_cli.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "tests/lab/lab.hpp"
#include "tests/lab/naming.hpp"
#include "tests/lab/spawn.hpp"

namespace lbha::lab {

namespace {

const std::filesystem::path default_base_dir = "/tmp/lbha-lab";
const std::filesystem::path default_state = default_base_dir / "lab.yaml";

void print_layout(const lab& l, const std::filesystem::path& state, std::ostream& out) {
  out << "lab " << l.prefix() << " (state " << state.string() << ", dir " << l.dir().string()
      << ")\n";
  out << "  " << std::left << std::setw(9) << "node" << std::setw(8) << "role" << std::setw(14)
      << "address" << std::setw(16) << "ipv6"
      << "namespace\n";
  for (const auto& n : l.nodes()) {
    out << "  " << std::left << std::setw(9) << n.name << std::setw(8) << to_string(n.kind)
        << std::setw(14) << n.ipv4 << std::setw(16) << (n.ipv6.empty() ? "-" : n.ipv6) << n.netns
        << "\n";
  }
  out << "  switch   " << l.switch_netns() << " (bridge br0, nft table bridge " << fault_table
      << ")\n";
  out << "  VIPs for tests: " << vip(0) << " - " << vip(99) << "\n";
  for (const auto& f : l.faults()) out << "  fault " << f.to_string() << "\n";
}

// SIGINT/SIGTERM/SIGHUP held back while the topology is half built; acted on afterwards.
class signals_held {
 public:
  signals_held() {
    sigemptyset(&set_);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set_, sig);
    ::sigprocmask(SIG_BLOCK, &set_, &old_);
  }
  ~signals_held() { ::sigprocmask(SIG_SETMASK, &old_, nullptr); }
  bool pending() const {
    sigset_t pending;
    ::sigpending(&pending);
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      if (sigismember(&pending, sig)) return true;
    }
    return false;
  }

 private:
  sigset_t set_;
  sigset_t old_;
};

// The child of `lbha-lab exec`; Ctrl-C and SIGTERM are passed on to its process group.
volatile sig_atomic_t exec_child = 0;
void forward_signal(int sig) {
  if (exec_child > 0) ::kill(-exec_child, sig);
}

int run_exec(const lab& l, const std::string& node, const std::vector<std::string>& argv) {
  spawn_request request{.argv = argv,
                        .netns = l.at(node).netns,
                        .container = l.at(node).container_pid,
                        .env = {},
                        .cwd = {},
                        .stdin_fd = STDIN_FILENO,
                        .stdout_fd = STDOUT_FILENO,
                        .stderr_fd = STDERR_FILENO,
                        .die_with_parent = true};
  const pid_t pid = spawn(request);
  exec_child = pid;
  struct sigaction forward {};
  forward.sa_handler = forward_signal;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &forward, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 1;
  }
  const auto ended = exit_status::from_wait_status(status);
  return ended.signal != 0 ? 128 + ended.signal : ended.code;
}

std::optional<port_match> parse_port_option(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto m = port_match::parse(text);
  if (!m) throw lab_error("--port must look like udp/6694 or tcp/80 (got '" + text + "')");
  return m;
}

}  // namespace

int run_lab_cli(int argc, char** argv) {
  CLI::App app("lbha-lab: the lbha lab (network namespaces on a bridge) for humans and scripts");
  app.require_subcommand(1);
  std::filesystem::path state = default_state;
  app.add_option("--state", state, "lab state file")->capture_default_str();

  lab_options up_options;
  up_options.kept = true;
  up_options.base_dir = default_base_dir;
  auto* up = app.add_subcommand("up", "build a lab and leave it up");
  up->add_option("--nodes", up_options.lb_nodes, "LB nodes (lb1..)")->capture_default_str();
  up->add_option("--servers", up_options.servers, "real servers (rs1..)")->capture_default_str();
  up->add_option("--clients", up_options.clients, "clients (client1..)")->capture_default_str();
  up->add_flag("--ipv6", up_options.ipv6, "also give every node 2001:db8::X/64");
  up->add_flag("--containers", up_options.containers,
               "LB nodes are containers: own /etc, /home, /var/lib/lbha, /run, hostname, PIDs");

  auto* down = app.add_subcommand("down", "tear the lab down (processes, namespaces, dir)");
  auto* show = app.add_subcommand("show", "print the lab's layout and faults");
  std::string address_node;
  auto* address = app.add_subcommand("address", "print a node's IPv4 address (for scripts)");
  address->add_option("node", address_node, "node name")->required();

  std::string node;
  std::vector<std::string> command;
  auto* exec = app.add_subcommand("exec", "run a command in a node: exec NODE -- CMD...");
  exec->add_option("node", node, "node name (lb1, rs1, client1, ...)")->required();
  exec->add_option("command", command, "command and arguments")->required();

  std::string process_name;
  auto* start = app.add_subcommand(
      "start", "start a background process in a node: start NODE NAME -- CMD... (down stops it)");
  start->add_option("node", node, "node name")->required();
  start->add_option("name", process_name, "label for its log files")->required();
  start->add_option("command", command, "command and arguments")->required();

  std::string a, b, port_text;
  bool one_way = false;
  int percent = 100;
  auto* partition = app.add_subcommand("partition", "drop everything between two nodes");
  partition->add_option("a", a, "first node")->required();
  partition->add_option("b", b, "second node")->required();
  partition->add_option("--port", port_text, "only this port, e.g. udp/6694");
  partition->add_flag("--one-way", one_way, "only frames from A to B");

  auto* loss = app.add_subcommand("loss", "drop PERCENT% of frames between two nodes at random");
  loss->add_option("a", a, "first node")->required();
  loss->add_option("b", b, "second node")->required();
  loss->add_option("percent", percent, "1..100")->required();
  loss->add_option("--port", port_text, "only this port, e.g. udp/6694");
  loss->add_flag("--one-way", one_way, "only frames from A to B");

  int fault_id = 0;
  auto* heal = app.add_subcommand("heal", "remove one fault (by id) or all of them");
  heal->add_option("id", fault_id, "fault id (see `show`); all faults when omitted");

  std::string link_state;
  auto* link = app.add_subcommand("link", "unplug or replug a node: link NODE down|up");
  link->add_option("node", node, "node name")->required();
  link->add_option("state", link_state, "down|up")
      ->required()
      ->check(CLI::IsMember({"down", "up"}));

  bool all = false;
  auto* cleanup = app.add_subcommand("cleanup", "remove lab runs whose owner process is gone");
  cleanup->add_flag("--all", all, "remove every lab run, including those made by `up`");

  CLI11_PARSE(app, argc, argv);

  try {
    if (up->parsed()) {
      require_root();
      if (std::filesystem::exists(state)) {
        auto existing = lab::attach(state);
        if (!run_namespaces(existing->prefix()).empty()) {
          std::cerr << "lbha-lab: lab " << existing->prefix() << " is already up (state "
                    << state.string() << "): run `lbha-lab down` first\n";
          return 1;
        }
      }
      signals_held held;
      lab l(up_options);
      l.save_state(state);
      l.detach();
      if (held.pending()) {
        std::cerr << "lbha-lab: interrupted, tearing down\n";
        l.down();
        std::filesystem::remove(state);
        return 130;
      }
      print_layout(l, state, std::cout);
      return 0;
    }
    if (cleanup->parsed()) {
      require_root();
      const auto removed = cleanup_stale(
          {.include_kept = all, .include_live = all, .base_dir = default_base_dir}, &std::cerr);
      std::cout << "removed " << removed.size() << " lab run(s)\n";
      if (all) std::filesystem::remove(state);
      return 0;
    }

    auto l = lab::attach(state);
    if (down->parsed()) {
      l->down();
      std::filesystem::remove(state);
      std::cout << "lab " << l->prefix() << " is down\n";
      return 0;
    }
    if (show->parsed()) {
      print_layout(*l, state, std::cout);
      return 0;
    }
    if (address->parsed()) {
      std::cout << l->at(address_node).ipv4 << "\n";
      return 0;
    }
    if (exec->parsed()) return run_exec(*l, node, command);
    if (start->parsed()) {
      auto& p = l->start(node, process_name, command, {.die_with_lab_process = false});
      l->save_state(state);
      std::cout << p.pid() << "\n";
      std::cerr << "started " << process_name << " in " << node << " (pid " << p.pid() << "), logs "
                << p.out_log().string() << " " << p.err_log().string() << "\n";
      return 0;
    }
    if (partition->parsed() || loss->parsed()) {
      const fault_scope scope{.port = parse_port_option(port_text), .one_way = one_way};
      const int id =
          partition->parsed() ? l->partition(a, b, scope) : l->loss(a, b, percent, scope);
      l->save_state(state);
      for (const auto& f : l->faults()) {
        if (f.id == id) std::cout << "fault " << f.to_string() << "\n";
      }
      return 0;
    }
    if (heal->parsed()) {
      if (fault_id > 0) {
        l->heal(fault_id);
      } else {
        l->heal();
      }
      l->save_state(state);
      return 0;
    }
    if (link->parsed()) {
      if (link_state == "down") {
        l->link_down(node);
      } else {
        l->link_up(node);
      }
      return 0;
    }
  } catch (const std::exception& e) {
    std::cerr << "lbha-lab: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace lbha::lab
