// Two lab LB nodes ready to be paired over real SSH, as on the appliance: each
// runs its own OpenSSH sshd (own config, host key and AuthorizedKeysFile) on
// port 22 in its namespace, with the shared `loadbalancer` login user, whose
// password is random per run. Used by the pairing lab tests, the lbctl lab
// test and bench/replication.
//
//   auto& lab = make_lab({.lb_nodes = 2, .servers = 2, .clients = 1});
//   lab::ssh_pair pair(lab, {.replicatord = LBHA_REPLICATORD_PATH, ...});
//   pair.start_replicatord(1);
//   ASSERT_TRUE(pair.pair().ok());
//
// node.yaml of each LB node is rewritten with the ssh section (user, receive
// command, authorized_keys file); `node_config` hooks let a test add more.
// The directories are as deploy/README.md prescribes: the node's etc and
// state dirs are root's (0755 and 0700), the run dir is root:lbha 2751 (the
// daemons' sockets are 0660 root:lbha; others may only pass through to
// receive.sock), and `loadbalancer` is in no group but its own: it owns only
// its authorized_keys dir (<node>/home) and reaches the node through
// lbha-receive-config -> receive.sock -> root's lbha-replicatord, which
// therefore must run on the secondary too.
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "lbha/v1/config.pb.h"
#include "tests/lab/command.hpp"
#include "tests/lab/lab.hpp"

namespace lbha::lab {

struct ssh_pair_binaries {
  std::string replicatord;     // lbha-replicatord
  std::string receive_config;  // lbha-receive-config (the forced command)
  std::string lbctl;
};

// "lab-" and 16 random hex digits: a login password for one lab run.
std::string random_login_password();

class ssh_pair {
 public:
  static constexpr const char* login_user = "loadbalancer";
  // The run dir's group, as deploy/README.md sets it up: the daemons' sockets
  // take it. The login user is not a member (it is removed if an older setup
  // added it), so it cannot reach proxyd's or heartbeatd's socket.
  static constexpr const char* run_group = "lbha";

  // Sets up the login user and starts sshd on LB nodes 1 and 2. `edit_node`
  // may change each node's NodeConfig before it is written. Throws lab_error.
  ssh_pair(lab& lab, ssh_pair_binaries binaries,
           std::function<void(int, lbha::v1::NodeConfig&)> edit_node = {});

  const std::string& password() const { return password_; }
  uid_t login_uid() const { return uid_; }
  gid_t login_gid() const { return gid_; }
  gid_t run_gid() const { return run_gid_; }

  std::filesystem::path ssh_dir(int i) const;
  std::filesystem::path authorized_keys(int i) const;

  // A fresh ed25519 host key for node i (its sshd must be restarted to use it).
  void make_host_key(int i);
  // "SHA256:..." of node i's host key.
  std::string host_fingerprint(int i);
  void start_sshd(int i);
  void stop_sshd(int i);

  // Starts lbha-replicatord on node i with fast catch-up timings plus `extra` args.
  process& start_replicatord(int i, std::vector<std::string> extra = {});
  // The SSH-poll catch-up timings of later start_replicatord calls (default
  // 300 ms, backing off to 1 s); a long interval leaves catch-up to heartbeats.
  void set_catch_up(std::chrono::milliseconds interval, std::chrono::milliseconds max_backoff) {
    catch_up_interval_ = interval;
    catch_up_max_backoff_ = max_backoff;
  }
  process* replicatord(int i) const { return replicatord_.at(i); }

  // lbctl on node i with its node.yaml (so its config, state and run dirs).
  command_result lbctl(int i, std::vector<std::string> args, std::string stdin_data = "");
  // `lbctl pair` on node 1 with node 2 as the peer (default: the right password),
  // confirming node 2's host key with --expect-fingerprint (default: its real
  // one) and --keep-password.
  command_result pair();
  command_result pair(const std::string& password);
  command_result pair(const std::string& password, const std::string& fingerprint);
  std::filesystem::path password_file(const std::string& password);

 private:
  void ensure_login_user();
  void setup_node(int i, const std::function<void(int, lbha::v1::NodeConfig&)>& edit_node);

  lab& lab_;
  ssh_pair_binaries binaries_;
  std::string password_;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  gid_t run_gid_ = 0;
  std::array<process*, 3> sshd_{};
  std::array<process*, 3> replicatord_{};
  std::chrono::milliseconds catch_up_interval_{300};
  std::chrono::milliseconds catch_up_max_backoff_{1000};
};

}  // namespace lbha::lab
