// The whole product in the lab, the way an operator runs it.
//
// Two LB nodes that are containers (tests/lab/container.hpp): each has its own
// /etc, /home, /var/lib/lbha and /run at the default paths, runs OpenSSH sshd
// and the four daemons (lbha-heartbeatd, lbha-proxyd, lbha-syncd,
// lbha-replicatord) with no --node-config/--state-dir/--run-dir, and has the
// security model's users, groups and modes (deploy/README.md): groups lbha and
// lbha-admin, the replication login user `loadbalancer` in neither, /etc/lbha
// root 0755, /var/lib/lbha root 0700, /run/lbha root:lbha 2751.
//
// up() does what README.md tells an operator to do: write /etc/lbha/node.yaml
// on both nodes, set the login user's password on the secondary, start the
// services, `lbctl pair --peer <lb2> --password-file F` on lb1 (confirming
// lb2's host key), then configure the seed's deployment with lbctl alone:
//
//   IIS_VIP 192.0.2.100:443, source-IP persistence, connect check: IIS1, IIS2
//   DA_VIP  192.0.2.101:9001, no persistence, 5m client/server timeouts: DA1, DA2
//
// Real servers: rs1 (IIS1 on :443, DA1 on :9001) and rs2 (IIS2, DA2), each an
// lbha-lab-server answering "server <name>". Clients: client1 and client2.
// The ping node (node.yaml ping_nodes) is client3, 192.0.2.33. With ipv6 the
// pair also serves IIS6_VIP [2001:db8::100]:443 over the same real servers.
//
// With product_options::web, each node also runs lbha-webd (the WebUI, HTTPS
// 9443) as the package does: its PAM service /etc/pam.d/lbha-webd and the
// package's users and groups (systemd-sysusers over debian/lbha.sysusers: the
// system user lbha-web in lbha, lbha-admin and shadow), started after the
// other four daemons with `--user lbha-web`, as its unit does; and two
// operators with random passwords: web_admin (lbha-admin, may change) and
// web_viewer (lbha, read only).
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lbha/v1/config.pb.h"
#include "tests/lab/lab.hpp"

namespace lbha::lab {

struct product_options {
  bool ipv6 = false;
  // Pair the nodes and configure the seed's deployment (up() does it all);
  // false: only the nodes, their users and sshd (a test pairs by hand).
  bool configure = true;
  // Changes a node's node.yaml before it is written (e.g. another ping node).
  std::function<void(int, lbha::v1::NodeConfig&)> edit_node{};
  // A lab that outlives this process (the demo's --keep): see keep().
  bool kept = false;
  // Also lbha-webd on both nodes and the WebUI's users (see above). Off by
  // default: the catalogue's scenarios do not use the WebUI, and a fifth
  // daemon would cost each of them its start and its place in the audits.
  bool web = false;
};

class product_lab {
 public:
  static constexpr const char* login_user = "loadbalancer";
  static constexpr const char* iis_vip = "192.0.2.100";
  static constexpr const char* da_vip = "192.0.2.101";
  static constexpr const char* iis6_vip = "2001:db8::100";
  static constexpr std::uint16_t iis_port = 443;
  static constexpr std::uint16_t da_port = 9001;
  // The daemons on every LB node, in start order.
  static constexpr std::array<const char*, 4> daemons = {"proxyd", "syncd", "heartbeatd",
                                                         "replicatord"};
  // With options.web: lbha-webd, started after them, and the WebUI's operators.
  static constexpr const char* webd = "webd";
  static constexpr std::uint16_t web_port = 9443;
  static constexpr const char* web_admin = "webadmin";    // in lbha-admin
  static constexpr const char* web_viewer = "webviewer";  // in lbha

  // Builds the lab (2 container LB nodes, rs1, rs2, client1..3) and the nodes'
  // users, files and sshd; with options.configure, also up(). Throws lab_error.
  explicit product_lab(product_options options = {});
  ~product_lab();
  product_lab(const product_lab&) = delete;
  product_lab& operator=(const product_lab&) = delete;

  class lab& lab() { return *lab_; }
  const node& lb(int i) const { return lab_->lb(i); }
  const node& ping_node() const { return lab_->client(3); }
  // The login user's password on node i (random per run; each node its own).
  const std::string& password(int i) const { return passwords_.at(i); }

  // A local account on node i in `group` (lbha or lbha-admin), its password
  // random and set with chpasswd, as an operator adds one; returns the password.
  std::string add_web_user(int i, const std::string& user, const std::string& group);
  // The password of an account add_web_user made on node i (web_admin, web_viewer...).
  const std::string& web_password(int i, const std::string& user) const;
  // lbha-webd's certificate on node i (its /etc/lbha/web/cert.pem), seen from the test.
  std::filesystem::path web_certificate(int i) const;

  // Starts every daemon on both nodes, pairs them and configures the seed's deployment.
  void up();
  // `lbctl pair` on lb1 as README.md says (the password file, lb2's host key confirmed).
  command_result pair();
  // The lbctl commands that make the seed's deployment, run on lb1 by up().
  std::vector<std::vector<std::string>> seed_commands() const;
  // A kept product lab: saves the lab's state file and leaves everything
  // running when this object goes (`lbha-lab --state FILE down` removes it).
  void keep(const std::filesystem::path& state_file);

  // lbctl on node i, as root, without flags (the node's default paths).
  command_result lbctl(int i, std::vector<std::string> args, std::string stdin_data = "") const;
  // Same as a user of the given groups (e.g. {"lbha"}) would run it.
  command_result lbctl_as(int i, const std::string& user, std::vector<std::string> args) const;

  // The daemons of node i: start (waits for its socket; webd also for its
  // HTTPS port), stop, SIGKILL. start_daemons: the four, then webd with options.web.
  process& start_daemon(int i, const std::string& name);
  void start_daemons(int i);
  process* daemon(int i, const std::string& name) const;
  // Every daemon the lab believes should be running (for the audits).
  std::vector<process*> running_daemons() const;
  // SIGKILLs a daemon (a crash) and forgets it: audits no longer expect it.
  void kill_daemon(int i, const std::string& name);
  void stop_daemon(int i, const std::string& name);

  // A power cut of node i (every process at once), and booting it again with
  // its disk: sshd and the daemons start as their units would.
  void power_off(int i);
  void boot(int i);

  // "SHA256:..." of node i's sshd host key.
  std::string host_fingerprint(int i) const;
  // The node holding `vip` (1 or 2), 0 for none, -1 for both.
  int owner_of(const std::string& vip) const;
  // Waits until exactly one node holds every VIP; returns it (0 on timeout).
  int wait_for_single_owner(std::chrono::milliseconds timeout) const;

  // VIPs of the deployment (with ipv6: also iis6_vip).
  std::vector<std::string> vips() const;
  std::string logs() const { return lab_->logs(); }

 private:
  void setup_node(int i);
  void setup_web(int i);
  void start_real_servers();
  void start_sshd(int i);
  void prepare_boot(int i);
  void configure_services();
  process& start(int i, const std::string& name, const std::vector<std::string>& argv);

  product_options options_;
  std::unique_ptr<class lab> lab_;
  std::array<std::string, 3> passwords_{};
  std::array<std::map<std::string, std::string>, 3> web_passwords_{};
  std::array<std::map<std::string, process*>, 3> daemons_{};
};

}  // namespace lbha::lab
