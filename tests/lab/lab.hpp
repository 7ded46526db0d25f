// The lab: LB nodes, real servers and clients as network namespaces on one bridge.
//
//                       switch namespace (<prefix>-switch)
//                  +-------------- bridge br0 --------------+
//                  |  lb1   lb2   rs1   rs2   client1  (ports)|
//                  +---|-----|-----|-----|------|-----------+
//                   veth  veth  veth  veth   veth
//                  eth0  eth0  eth0  eth0   eth0
//                  <prefix>-lb1 ...                 <prefix>-client1
//                  192.0.2.11   .12  .21   .22      .31
//
// Lifecycle: the constructor refuses to run without root, removes stale runs
// (namespaces whose owner pid is gone), then builds the topology; if any step
// fails it tears down what it built and throws lab_error. The destructor (or
// down()) stops every process the lab started, kills anything else left in
// its namespaces and deletes them: no namespace, veth or nft table survives,
// and the run's directory is removed unless LBHA_LAB_KEEP=1 is set.
//
// Addresses: LB node i is 192.0.2.(10+i), real server i 192.0.2.(20+i),
// client i 192.0.2.(30+i), all /24 on eth0, no default route. VIPs for tests
// are vip(i) = 192.0.2.(100+i). With ipv6 on, node 192.0.2.X also has
// 2001:db8::X/64.
//
// With lb_links = 2 every LB node also has eth1 on a second bridge (br1, port
// "<name>b" in the switch), 198.51.100.(10+i)/24: a second heartbeat path
// (node_config lists it as a second local and peer address). Faults match the
// first bridge's ports only; link_down(node, 2) cuts the second link.
//
// Not thread-safe: one test thread drives a lab. Several labs (in one process
// or many) run side by side.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lbha/v1/config.pb.h"
#include "tests/lab/command.hpp"
#include "tests/lab/faults.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/process.hpp"

namespace lbha::lab {

enum class role { lb, server, client };
const char* to_string(role kind);  // "lb", "server", "client"

struct node {
  std::string name;  // "lb1", "rs2", "client1"; also its port name on the bridge
  role kind = role::lb;
  int index = 0;              // 1-based within its role
  std::string netns;          // "<prefix>-lb1"
  std::string ipv4;           // "192.0.2.11"
  std::string ipv6;           // "2001:db8::11" when the lab has IPv6, else empty
  std::string ipv4_b;         // "198.51.100.11" on eth1 with lb_links = 2, else empty
  std::filesystem::path dir;  // <lab dir>/nodes/<name>: etc/, state/, run/ (or root/)
  // A container (lab_options::containers, LB nodes only): the pid of its
  // lbha-lab-container while it is booted, else 0 (container.hpp).
  bool container = false;
  pid_t container_pid = 0;

  // A container's own /etc, /home, /var/lib/lbha and /run, seen from outside.
  std::filesystem::path root_dir() const { return dir / "root"; }
  // Where the node's config, state and sockets are, seen from the test process
  // (a container's are its default /etc/lbha, /var/lib/lbha, /run/lbha).
  std::filesystem::path etc_dir() const { return container ? root_dir() / "etc/lbha" : dir / "etc"; }
  std::filesystem::path state_dir() const {
    return container ? root_dir() / "var/lib/lbha" : dir / "state";
  }
  std::filesystem::path run_dir() const { return container ? root_dir() / "run/lbha" : dir / "run"; }
  std::filesystem::path node_yaml() const { return etc_dir() / "node.yaml"; }
};

struct lab_options {
  int lb_nodes = 2;
  int servers = 2;
  int clients = 1;
  bool ipv6 = false;
  int lb_links = 1;  // 2: LB nodes get eth1 on a second bridge (a second heartbeat path)
  // LB nodes are containers (container.hpp): own /etc, /home, /var/lib/lbha,
  // /run, hostname and PID namespace; exec and start run inside them.
  bool containers = false;
  // A kept run (`lbha-lab up`): named lbha<pid>k<n>, left alone by the stale
  // cleaner, and not torn down by the destructor once detach()ed.
  bool kept = false;
  std::filesystem::path base_dir = "/tmp/lbha-lab";
};

struct start_options {
  std::vector<std::pair<std::string, std::string>> env{};
  std::filesystem::path cwd{};       // empty: the node's dir
  bool die_with_lab_process = true;  // false for `lbha-lab start` (outlives the CLI)
};

// Throws lab_error with a clear message unless the process is root.
void require_root();
// The reason the lab cannot run here, or empty when it can (for GTEST_SKIP).
std::string why_lab_unavailable();

// 192.0.2.(100+i) for i in 0..99: VIPs for lab tests.
std::string vip(int i);

class lab {
 public:
  explicit lab(lab_options options = {});
  ~lab();
  lab(const lab&) = delete;
  lab& operator=(const lab&) = delete;

  // A lab built earlier (by `lbha-lab up`) from its state file; no namespace
  // is created. Destroying the object does not tear it down unless down() is called.
  static std::unique_ptr<lab> attach(const std::filesystem::path& state_file);
  // Writes what attach() needs: prefix, nodes, faults, started pids (YAML).
  void save_state(const std::filesystem::path& state_file) const;
  // The destructor will leave the topology up (for `lbha-lab up`).
  void detach() { detached_ = true; }

  // Stops processes and deletes every namespace. Idempotent.
  void down();

  const std::string& prefix() const { return prefix_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& switch_netns() const { return switch_netns_; }
  const std::vector<node>& nodes() const { return nodes_; }
  const node& at(std::string_view name) const;  // throws lab_error for an unknown name
  const node& lb(int i) const;                  // 1-based
  const node& server(int i) const;
  const node& client(int i) const;
  std::vector<const node*> of_role(role kind) const;

  // A container LB node: power_off() is a power cut: its switch ports go down
  // and every process in it dies at once. boot() starts it again with the same
  // files, a fresh /run, only its configured addresses (VIPs the last run held
  // are gone, as from a machine's kernel), an empty neighbour cache, links up.
  void boot(std::string_view node);
  void power_off(std::string_view node);

  // Runs a command in a node's namespace and waits for it (see run_command).
  command_result exec(std::string_view node, const std::vector<std::string>& argv,
                      command_options options = {}) const;
  // Same, throwing lab_error unless it exits 0.
  command_result exec_checked(std::string_view node, const std::vector<std::string>& argv,
                              command_options options = {}) const;

  // Starts a long-running process in a node; the lab owns it and stops it at
  // teardown. `name` labels its log files (<dir>/logs/<node>-<name>.out/.err).
  process& start(std::string_view node, const std::string& name,
                 const std::vector<std::string>& argv, start_options options = {});
  const std::vector<std::unique_ptr<process>>& processes() const { return processes_; }
  // Every started process's logs, for a failing test's output.
  std::string logs() const;

  // Faults. partition/loss return an id for heal(id); heal() removes all.
  // `b` empty: between `a` and every other node.
  int partition(std::string_view a, std::string_view b, fault_scope scope = {});
  int loss(std::string_view a, std::string_view b, int percent, fault_scope scope = {});
  void heal(int fault_id);
  void heal();
  const std::vector<fault>& faults() const { return faults_; }
  // The node's cable: its bridge port in the switch goes down / up. `link` 2 is
  // the second link of an LB node (eth1, lb_links = 2).
  void link_down(std::string_view node, int link = 1);
  void link_up(std::string_view node, int link = 1);

  // Extra addresses ("198.51.100.7/24", "2001:db8:1::7/64") on a node's eth0.
  void add_address(std::string_view node, const std::string& cidr);
  void del_address(std::string_view node, const std::string& cidr);

  // A NodeConfig for LB node i: name, eth0, its address, every other LB
  // node's address as a peer (and with lb_links = 2 the eth1 addresses as a
  // second path), priority (lb1 highest) and its directories.
  lbha::v1::NodeConfig node_config(int lb_index) const;
  // Writes `config` (default: node_config(i)) as LB node i's etc/node.yaml
  // once config::validate accepts it; returns the path (--node-config).
  // Throws lab_error listing the validation errors.
  std::filesystem::path write_node_yaml(int lb_index) const;
  std::filesystem::path write_node_yaml(int lb_index, const lbha::v1::NodeConfig& config) const;
  // Writes `config` as LB node i's etc/cluster.yaml (the node's config_dir), validated likewise.
  std::filesystem::path write_cluster_yaml(int lb_index,
                                           const lbha::v1::ClusterConfig& config) const;

 private:
  struct attach_tag {};
  explicit lab(attach_tag) {}
  void build(const lab_options& options);
  void add_node(role kind, int index);
  void add_second_link(node& n);
  std::string port_of(std::string_view node, int link) const;
  node& mutable_node(std::string_view name);
  process& start_in(const node& n, pid_t container, const std::string& name,
                    const std::vector<std::string>& argv, const start_options& options);
  void apply_faults();
  const node& find(role kind, int i) const;

  std::string prefix_;
  std::filesystem::path dir_;
  std::string switch_netns_;
  std::vector<node> nodes_;
  std::vector<fault> faults_;
  int next_fault_id_ = 1;
  std::vector<std::unique_ptr<process>> processes_;
  std::vector<pid_t> detached_pids_;  // started by earlier `lbha-lab start` calls
  bool ipv6_ = false;
  bool kept_ = false;
  bool detached_ = false;
  bool down_ = false;
};

}  // namespace lbha::lab
