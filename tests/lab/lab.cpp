#include "tests/lab/lab.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/logging.hpp"
#include "tests/lab/binaries.hpp"
#include "tests/lab/container.hpp"
#include "tests/lab/naming.hpp"
#include "tests/lab/spawn.hpp"
#include "tests/lab/wait.hpp"

namespace lbha::lab {

namespace {

constexpr const char* bridge_name = "br0";
constexpr const char* second_bridge_name = "br1";
constexpr const char* node_interface = "eth0";
constexpr const char* second_interface = "eth1";

role role_from(const std::string& text) {
  if (text == "lb") return role::lb;
  if (text == "server") return role::server;
  if (text == "client") return role::client;
  throw lab_error("unknown node role '" + text + "' in lab state");
}

// Node names double as bridge port names, so they stay well under IFNAMSIZ.
std::string node_name(role kind, int index) {
  switch (kind) {
    case role::lb:
      return "lb" + std::to_string(index);
    case role::server:
      return "rs" + std::to_string(index);
    case role::client:
      return "client" + std::to_string(index);
  }
  return "?";
}

int host_octet(role kind, int index) {
  switch (kind) {
    case role::lb:
      return 10 + index;
    case role::server:
      return 20 + index;
    case role::client:
      return 30 + index;
  }
  return 0;
}

void check_count(const char* what, int n, int min) {
  if (n < min || n > 9) {
    throw lab_error(std::string("lab: ") + what + " must be between " + std::to_string(min) +
                    " and 9 (got " + std::to_string(n) + ")");
  }
}

bool keep_dir_requested() {
  const char* keep = std::getenv("LBHA_LAB_KEEP");
  return keep && std::string_view(keep) == "1";
}

bool pid_alive(pid_t pid) { return ::kill(pid, 0) == 0; }

// Validates, then writes atomically: a lab test must never start a daemon on a config it rejects.
template <typename Config>
std::filesystem::path write_config(const std::filesystem::path& path, const Config& config) {
  const auto errors = config::validate(config, path.string());
  if (!errors.empty()) {
    std::string text = "invalid config for " + path.string() + ":";
    for (const auto& e : errors) text += "\n  " + e.to_string();
    throw lab_error(text);
  }
  if (auto written = write_file_atomically(path, config::to_yaml(config)); !written) {
    throw lab_error("cannot write " + path.string() + ": " + written.error().message());
  }
  return path;
}

}  // namespace

const char* to_string(role kind) {
  switch (kind) {
    case role::lb:
      return "lb";
    case role::server:
      return "server";
    case role::client:
      return "client";
  }
  return "?";
}

std::string why_lab_unavailable() {
  if (::geteuid() != 0) {
    return "the lab needs root (network namespaces, veth, nftables): run as root, e.g. "
           "`sudo ctest -L lab` or `sudo build/tests/lab/lbha-lab ...`";
  }
  return {};
}

void require_root() {
  if (auto why = why_lab_unavailable(); !why.empty()) throw lab_error(why);
}

std::string vip(int i) {
  if (i < 0 || i > 99) throw lab_error("vip(" + std::to_string(i) + "): index must be 0..99");
  return "192.0.2." + std::to_string(100 + i);
}

lab::lab(lab_options options) {
  require_root();
  check_count("lb_nodes", options.lb_nodes, 0);
  check_count("servers", options.servers, 0);
  check_count("clients", options.clients, 0);
  cleanup_stale({});
  try {
    build(options);
  } catch (...) {
    down();
    throw;
  }
}

lab::~lab() {
  if (detached_) {
    for (auto& p : processes_) p->release();
    return;
  }
  try {
    down();
  } catch (const std::exception& e) {
    get_logger("lab")->error("teardown of {} failed: {}", prefix_, e.what());
  }
}

void lab::build(const lab_options& options) {
  const run_name name = next_run_name(options.kept);
  prefix_ = name.prefix();
  ipv6_ = options.ipv6;
  kept_ = options.kept;
  dir_ = options.base_dir / prefix_;
  std::filesystem::create_directories(dir_ / "logs");
  std::filesystem::create_directories(dir_ / "nodes");

  switch_netns_ = prefix_ + "-switch";
  run_checked({"ip", "netns", "add", switch_netns_});
  run_checked({"ip", "-n", switch_netns_, "link", "set", "lo", "up"});
  // STP off and no forwarding delay: a port forwards as soon as it is up.
  run_checked({"ip", "-n", switch_netns_, "link", "add", bridge_name, "type", "bridge", "stp_state",
               "0", "forward_delay", "0"});
  run_checked({"ip", "-n", switch_netns_, "link", "set", bridge_name, "up"});

  if (options.lb_links < 1 || options.lb_links > 2)
    throw lab_error("lab: lb_links must be 1 or 2 (got " + std::to_string(options.lb_links) + ")");
  if (options.lb_links == 2) {
    run_checked({"ip", "-n", switch_netns_, "link", "add", second_bridge_name, "type", "bridge",
                 "stp_state", "0", "forward_delay", "0"});
    run_checked({"ip", "-n", switch_netns_, "link", "set", second_bridge_name, "up"});
  }
  for (int i = 1; i <= options.lb_nodes; ++i) {
    add_node(role::lb, i);
    if (options.lb_links == 2) add_second_link(nodes_.back());
    nodes_.back().container = options.containers;
  }
  for (int i = 1; i <= options.servers; ++i) add_node(role::server, i);
  for (int i = 1; i <= options.clients; ++i) add_node(role::client, i);
  apply_faults();  // an empty table, so `nft list` shows where faults go
  if (options.containers) {
    for (int i = 1; i <= options.lb_nodes; ++i) boot(lb(i).name);
  }
}

node& lab::mutable_node(std::string_view name) { return const_cast<node&>(at(name)); }

void lab::boot(std::string_view name) {
  node& n = mutable_node(name);
  if (!n.container) throw lab_error("lab node " + n.name + " is not a container");
  if (n.container_pid > 0) throw lab_error("container " + n.name + " is already booted");
  prepare_container_root(n.root_dir());
  // A machine boots with only its configured addresses: whatever the last run
  // added (VIPs) went with the power, and so did its neighbour cache.
  const std::vector<std::pair<std::string, std::string>> links = {
      {node_interface, n.ipv4}, {second_interface, n.ipv4_b}};
  for (const auto& [interface, address] : links) {
    if (address.empty()) continue;
    run_checked({"ip", "-n", n.netns, "addr", "flush", "dev", interface});
    run_checked({"ip", "-n", n.netns, "addr", "add", address + "/24", "dev", interface});
    if (interface == node_interface && !n.ipv6.empty()) {
      run_checked({"ip", "-n", n.netns, "addr", "add", n.ipv6 + "/64", "dev", interface, "nodad"});
    }
  }
  run_checked({"ip", "-n", n.netns, "neigh", "flush", "all"});
  auto& holder = start_in(n, 0, "container",
                          {built_binary(LBHA_LAB_CONTAINER_PATH).string(), n.name,
                           n.root_dir().string()},
                          {.die_with_lab_process = !kept_});
  wait_for_container(n.root_dir(), std::chrono::seconds(10));
  n.container_pid = holder.pid();
  link_up(n.name);
  if (!n.ipv4_b.empty()) link_up(n.name, 2);
}

void lab::power_off(std::string_view name) {
  node& n = mutable_node(name);
  if (n.container_pid <= 0) throw lab_error("container " + n.name + " is not booted");
  // The cables go dead first: from now on nothing of the node answers, not
  // even its kernel for the addresses it still has (until boot() clears them).
  link_down(n.name);
  if (!n.ipv4_b.empty()) link_down(n.name, 2);
  for (auto& p : processes_) {
    if (p->pid() == n.container_pid && p->running()) p->kill();
  }
  if (std::find(detached_pids_.begin(), detached_pids_.end(), n.container_pid) !=
      detached_pids_.end()) {
    ::kill(n.container_pid, SIGKILL);
  }
  const pid_t holder = n.container_pid;
  n.container_pid = 0;
  // Its PID 1 dies with it (parent-death signal), and with PID 1 every process in the node.
  wait_until([&] { return !pid_alive(holder); }, std::chrono::seconds(5));
  for (auto& p : processes_) {
    if (p->node() == n.name && p->running()) p->wait(std::chrono::seconds(5));
  }
}

void lab::add_node(role kind, int index) {
  node n;
  n.name = node_name(kind, index);
  n.kind = kind;
  n.index = index;
  n.netns = prefix_ + "-" + n.name;
  n.ipv4 = "192.0.2." + std::to_string(host_octet(kind, index));
  if (ipv6_) n.ipv6 = "2001:db8::" + std::to_string(host_octet(kind, index));
  n.dir = dir_ / "nodes" / n.name;
  for (const auto& sub : {n.etc_dir(), n.state_dir(), n.run_dir()}) {
    std::filesystem::create_directories(sub);
  }
  // Recorded before creation so a failure half-way still tears this node down.
  nodes_.push_back(n);

  run_checked({"ip", "netns", "add", n.netns});
  // Both ends are created directly in their namespaces: nothing appears in the
  // root namespace, so concurrent runs never race for a name there.
  run_checked({"ip", "link", "add", node_interface, "netns", n.netns, "type", "veth", "peer",
               "name", n.name, "netns", switch_netns_});
  run_checked({"ip", "-n", switch_netns_, "link", "set", n.name, "master", bridge_name, "up"});
  run_checked({"ip", "-n", n.netns, "link", "set", "lo", "up"});
  run_checked({"ip", "-n", n.netns, "addr", "add", n.ipv4 + "/24", "dev", node_interface});
  if (ipv6_) {
    run_checked(
        {"ip", "-n", n.netns, "addr", "add", n.ipv6 + "/64", "dev", node_interface, "nodad"});
  }
  run_checked({"ip", "-n", n.netns, "link", "set", node_interface, "up"});
}

void lab::add_second_link(node& n) {
  n.ipv4_b = "198.51.100." + std::to_string(host_octet(n.kind, n.index));
  const auto port = n.name + "b";
  run_checked({"ip", "link", "add", second_interface, "netns", n.netns, "type", "veth", "peer",
               "name", port, "netns", switch_netns_});
  run_checked({"ip", "-n", switch_netns_, "link", "set", port, "master", second_bridge_name, "up"});
  run_checked({"ip", "-n", n.netns, "addr", "add", n.ipv4_b + "/24", "dev", second_interface});
  run_checked({"ip", "-n", n.netns, "link", "set", second_interface, "up"});
}

std::unique_ptr<lab> lab::attach(const std::filesystem::path& state_file) {
  require_root();
  YAML::Node state;
  try {
    state = YAML::LoadFile(state_file.string());
  } catch (const YAML::Exception& e) {
    throw lab_error("cannot read lab state " + state_file.string() + ": " + e.what());
  }
  std::unique_ptr<lab> l(new lab(attach_tag{}));
  try {
    l->prefix_ = state["prefix"].as<std::string>();
    l->dir_ = state["dir"].as<std::string>();
    l->switch_netns_ = state["switch"].as<std::string>();
    l->ipv6_ = state["ipv6"].as<bool>();
    l->next_fault_id_ = state["next_fault_id"].as<int>();
    for (const auto& y : state["nodes"]) {
      node n;
      n.name = y["name"].as<std::string>();
      n.kind = role_from(y["role"].as<std::string>());
      n.index = y["index"].as<int>();
      n.netns = y["netns"].as<std::string>();
      n.ipv4 = y["ipv4"].as<std::string>();
      n.ipv6 = y["ipv6"].as<std::string>("");
      n.ipv4_b = y["ipv4_b"].as<std::string>("");
      n.dir = y["dir"].as<std::string>();
      n.container = y["container"].as<bool>(false);
      n.container_pid = y["container_pid"].as<pid_t>(0);
      l->nodes_.push_back(n);
    }
    for (const auto& y : state["faults"]) {
      fault f;
      f.id = y["id"].as<int>();
      f.from = y["from"].as<std::string>();
      f.to = y["to"].as<std::string>("");
      f.scope.one_way = y["one_way"].as<bool>();
      if (y["port"]) f.scope.port = port_match::parse(y["port"].as<std::string>());
      f.drop_percent = y["drop_percent"].as<int>();
      l->faults_.push_back(f);
    }
    for (const auto& y : state["pids"]) l->detached_pids_.push_back(y.as<pid_t>());
  } catch (const YAML::Exception& e) {
    throw lab_error("bad lab state " + state_file.string() + ": " + e.what());
  }
  l->detached_ = true;
  return l;
}

void lab::save_state(const std::filesystem::path& state_file) const {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "prefix" << YAML::Value << prefix_;
  out << YAML::Key << "dir" << YAML::Value << dir_.string();
  out << YAML::Key << "switch" << YAML::Value << switch_netns_;
  out << YAML::Key << "ipv6" << YAML::Value << ipv6_;
  out << YAML::Key << "next_fault_id" << YAML::Value << next_fault_id_;
  out << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
  for (const auto& n : nodes_) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << n.name;
    out << YAML::Key << "role" << YAML::Value << to_string(n.kind);
    out << YAML::Key << "index" << YAML::Value << n.index;
    out << YAML::Key << "netns" << YAML::Value << n.netns;
    out << YAML::Key << "ipv4" << YAML::Value << n.ipv4;
    if (!n.ipv6.empty()) out << YAML::Key << "ipv6" << YAML::Value << n.ipv6;
    if (!n.ipv4_b.empty()) out << YAML::Key << "ipv4_b" << YAML::Value << n.ipv4_b;
    out << YAML::Key << "dir" << YAML::Value << n.dir.string();
    if (n.container) {
      out << YAML::Key << "container" << YAML::Value << true;
      out << YAML::Key << "container_pid" << YAML::Value << n.container_pid;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "faults" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : faults_) {
    out << YAML::BeginMap;
    out << YAML::Key << "id" << YAML::Value << f.id;
    out << YAML::Key << "from" << YAML::Value << f.from;
    if (!f.to.empty()) out << YAML::Key << "to" << YAML::Value << f.to;
    out << YAML::Key << "one_way" << YAML::Value << f.scope.one_way;
    if (f.scope.port) out << YAML::Key << "port" << YAML::Value << f.scope.port->to_string();
    out << YAML::Key << "drop_percent" << YAML::Value << f.drop_percent;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "pids" << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (pid_t pid : detached_pids_) out << pid;
  for (const auto& p : processes_) {
    if (!p->status()) out << p->pid();
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  if (auto written = write_file_atomically(state_file, std::string(out.c_str()) + "\n"); !written) {
    throw lab_error("cannot write lab state " + state_file.string() + ": " +
                    written.error().message());
  }
}

void lab::down() {
  if (down_ || prefix_.empty()) return;
  down_ = true;
  // Graceful first, so daemons can log why they stop; SIGKILL for the rest.
  for (auto& p : processes_) {
    if (p->running()) {
      ::kill(-p->pid(), SIGTERM);
      ::kill(-p->pid(), SIGCONT);
    }
  }
  for (pid_t pid : detached_pids_) {
    ::kill(pid, SIGTERM);
    ::kill(pid, SIGCONT);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (auto& p : processes_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!p->wait(std::max(left, std::chrono::milliseconds(0)))) p->kill();
  }
  for (pid_t pid : detached_pids_) {
    while (pid_alive(pid) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::ostringstream problems;
  const bool ok = destroy_run(prefix_, &problems);
  if (ok && !keep_dir_requested()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  if (!ok) throw lab_error("lab teardown of " + prefix_ + " incomplete: " + problems.str());
}

const node& lab::at(std::string_view name) const {
  for (const auto& n : nodes_) {
    if (n.name == name) return n;
  }
  std::string known;
  for (const auto& n : nodes_) known += " " + n.name;
  throw lab_error("no lab node '" + std::string(name) + "' (nodes:" + known + ")");
}

const node& lab::find(role kind, int i) const {
  for (const auto& n : nodes_) {
    if (n.kind == kind && n.index == i) return n;
  }
  throw lab_error(std::string("no lab node of role ") + to_string(kind) + " with index " +
                  std::to_string(i));
}

const node& lab::lb(int i) const { return find(role::lb, i); }
const node& lab::server(int i) const { return find(role::server, i); }
const node& lab::client(int i) const { return find(role::client, i); }

std::vector<const node*> lab::of_role(role kind) const {
  std::vector<const node*> out;
  for (const auto& n : nodes_) {
    if (n.kind == kind) out.push_back(&n);
  }
  return out;
}

command_result lab::exec(std::string_view node, const std::vector<std::string>& argv,
                         command_options options) const {
  const auto& n = at(node);
  options.netns = n.netns;
  options.container = n.container_pid;
  return run_command(argv, options);
}

command_result lab::exec_checked(std::string_view node, const std::vector<std::string>& argv,
                                 command_options options) const {
  const auto& n = at(node);
  options.netns = n.netns;
  options.container = n.container_pid;
  return run_checked(argv, options);
}

process& lab::start(std::string_view node_name_view, const std::string& name,
                    const std::vector<std::string>& argv, start_options options) {
  const node& n = at(node_name_view);
  if (n.container && n.container_pid <= 0) {
    throw lab_error("cannot start " + name + " in " + n.name + ": the container is powered off");
  }
  return start_in(n, n.container_pid, name, argv, options);
}

process& lab::start_in(const node& n, pid_t container, const std::string& name,
                       const std::vector<std::string>& argv, const start_options& options) {
  const auto out_log = dir_ / "logs" / (n.name + "-" + name + ".out");
  const auto err_log = dir_ / "logs" / (n.name + "-" + name + ".err");
  auto open_log = [](const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) throw lab_error("cannot open log " + path.string() + ": " + std::strerror(errno));
    return fd;
  };
  const int out_fd = open_log(out_log);
  const int err_fd = open_log(err_log);
  spawn_request request{.argv = argv,
                        .netns = n.netns,
                        .container = container,
                        .env = options.env,
                        .cwd = options.cwd.empty() ? n.dir : options.cwd,
                        .stdin_fd = -1,
                        .stdout_fd = out_fd,
                        .stderr_fd = err_fd,
                        .die_with_parent = options.die_with_lab_process};
  pid_t pid = -1;
  try {
    pid = spawn(request);
  } catch (...) {
    ::close(out_fd);
    ::close(err_fd);
    throw;
  }
  ::close(out_fd);
  ::close(err_fd);
  processes_.push_back(std::make_unique<process>(n.name, name, argv, pid, out_log, err_log));
  return *processes_.back();
}

std::string lab::logs() const {
  std::string text;
  for (const auto& p : processes_) text += p->logs();
  return text;
}

int lab::partition(std::string_view a, std::string_view b, fault_scope scope) {
  return loss(a, b, 100, scope);
}

int lab::loss(std::string_view a, std::string_view b, int percent, fault_scope scope) {
  if (percent < 1 || percent > 100) {
    throw lab_error("loss percent must be 1..100 (got " + std::to_string(percent) + ")");
  }
  fault f;
  f.id = next_fault_id_++;
  f.from = at(a).name;
  if (!b.empty()) f.to = at(b).name;
  f.scope = scope;
  f.drop_percent = percent;
  faults_.push_back(f);
  apply_faults();
  get_logger("lab")->debug("{}: fault {}", prefix_, f.to_string());
  return f.id;
}

void lab::heal(int fault_id) {
  const auto it = std::find_if(faults_.begin(), faults_.end(),
                               [&](const fault& f) { return f.id == fault_id; });
  if (it == faults_.end()) throw lab_error("no fault #" + std::to_string(fault_id));
  faults_.erase(it);
  apply_faults();
}

void lab::heal() {
  faults_.clear();
  apply_faults();
}

void lab::apply_faults() {
  command_options options;
  options.netns = switch_netns_;
  options.stdin_data = render_ruleset(faults_);
  run_checked({"nft", "-f", "-"}, options);
}

std::string lab::port_of(std::string_view node, int link) const {
  const auto& n = at(node);
  if (link == 1) return n.name;
  if (link == 2 && !n.ipv4_b.empty()) return n.name + "b";
  throw lab_error("lab node " + n.name + " has no link " + std::to_string(link));
}

void lab::link_down(std::string_view node, int link) {
  run_checked({"ip", "-n", switch_netns_, "link", "set", port_of(node, link), "down"});
}

void lab::link_up(std::string_view node, int link) {
  run_checked({"ip", "-n", switch_netns_, "link", "set", port_of(node, link), "up"});
}

void lab::add_address(std::string_view node, const std::string& cidr) {
  const auto& n = at(node);
  std::vector<std::string> argv{"ip", "-n", n.netns, "addr", "add", cidr, "dev", node_interface};
  if (cidr.find(':') != std::string::npos) argv.push_back("nodad");
  run_checked(argv);
}

void lab::del_address(std::string_view node, const std::string& cidr) {
  const auto& n = at(node);
  run_checked({"ip", "-n", n.netns, "addr", "del", cidr, "dev", node_interface});
}

lbha::v1::NodeConfig lab::node_config(int lb_index) const {
  const node& self = lb(lb_index);
  lbha::v1::NodeConfig config;
  config.set_node_name(self.name);
  config.set_interface(node_interface);
  config.add_local_addresses(self.ipv4);
  for (const node* peer : of_role(role::lb)) {
    if (peer->name != self.name) config.add_peer_addresses(peer->ipv4);
  }
  if (!self.ipv4_b.empty()) {  // the second heartbeat path, eth1 <-> eth1
    config.add_local_addresses(self.ipv4_b);
    for (const node* peer : of_role(role::lb)) {
      if (peer->name != self.name && !peer->ipv4_b.empty())
        config.add_peer_addresses(peer->ipv4_b);
    }
  }
  config.set_priority(static_cast<std::uint32_t>(std::max(1, 200 - 10 * (lb_index - 1))));
  if (!self.container) {  // a container's are the defaults, /etc/lbha and so on
    auto* dirs = config.mutable_directories();
    dirs->set_config_dir(self.etc_dir().string());
    dirs->set_state_dir(self.state_dir().string());
    dirs->set_run_dir(self.run_dir().string());
  }
  config::apply_defaults(config);
  return config;
}

std::filesystem::path lab::write_node_yaml(int lb_index) const {
  return write_node_yaml(lb_index, node_config(lb_index));
}

std::filesystem::path lab::write_node_yaml(int lb_index, const lbha::v1::NodeConfig& config) const {
  return write_config(lb(lb_index).node_yaml(), config);
}

std::filesystem::path lab::write_cluster_yaml(int lb_index,
                                              const lbha::v1::ClusterConfig& config) const {
  return write_config(lb(lb_index).etc_dir() / "cluster.yaml", config);
}

}  // namespace lbha::lab
