// Shared fixtures for the pairing tests: temp dirs, a valid cluster config, and
// an in-process SSH double that runs the peer's receiver directly.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "replicator/pairing/authorized_keys.hpp"
#include "replicator/pairing/local_daemons.hpp"
#include "replicator/pairing/node_context.hpp"
#include "replicator/pairing/receiver.hpp"
#include "replicator/pairing/ssh_client.hpp"
#include "replicator/pairing/wire.hpp"

namespace lbha::pairing::testing {

class temp_dir {
 public:
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbha-pairing-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline lbha::v1::ClusterConfig one_service_config(const std::string& label = "web") {
  lbha::v1::ClusterConfig config;
  auto* vs = config.add_virtual_services();
  vs->set_label(label);
  vs->set_ip("192.0.2.10");
  auto* ports = vs->add_ports();
  ports->set_first(80);
  ports->set_last(80);
  auto* rs = vs->add_real_servers();
  rs->set_label("rip1");
  rs->set_ip("198.51.100.11");
  rs->set_port(8080);
  config::apply_defaults(config);
  return config;
}

inline node_context make_node(const std::filesystem::path& root, const std::string& name) {
  node_context node;
  node.node_name = name;
  node.config_dir = root / "etc";
  node.state_dir = root / "state";
  node.run_dir = root / "run";
  node.authorized_keys = root / "home" / ".ssh" / "authorized_keys";
  node.local_addresses = {name == "lb1" ? "192.0.2.1" : "192.0.2.2"};
  node.peer_addresses = {name == "lb1" ? "192.0.2.2" : "192.0.2.1"};
  return node;
}

// Each daemon's Reload as reload_in_order makes it: what it was asked, in
// order; a daemon may be absent (not running), refuse, or not answer.
class recording_rpc final : public reload_rpc {
 public:
  result<std::optional<lbha::v1::ReloadResult>> reload(
      std::string_view daemon, const lbha::v1::ReloadRequest& request) override {
    const std::string name(daemon);
    asked.push_back(name);
    requests.push_back(request);
    if (not_running.count(name)) return std::optional<lbha::v1::ReloadResult>{};
    if (silent.count(name)) return error(std::errc::io_error, "Deadline Exceeded");
    lbha::v1::ReloadResult reply;
    reply.set_ok(refusing != name);
    reply.set_message(reply.ok() ? "reloaded (test)" : "(test)");
    return std::optional<lbha::v1::ReloadResult>(reply);
  }

  std::string refusing;
  std::set<std::string> not_running, silent;
  std::vector<std::string> asked;
  std::vector<lbha::v1::ReloadRequest> requests;
};

// The node's daemons for the replication tests: the real reload order over
// recording_rpc.
class recording_daemons final : public local_daemons {
 public:
  reload_outcome reload(const lbha::v1::ClusterConfig* config) override {
    ++reloads;
    if (config != nullptr) ++config_reloads;
    if (fail_reload) rpc.refusing = "proxyd";
    return reload_in_order(rpc, config);
  }
  std::optional<std::uint64_t> current_term() override { return term; }

  recording_rpc rpc;
  bool fail_reload = false;  // proxyd refuses
  int reloads = 0;
  int config_reloads = 0;
  std::optional<std::uint64_t> term;
};

// Plays the peer's sshd: host key check, password or authorized_keys login,
// then the forced command, i.e. the peer's receiver in-process.
class loopback_ssh final : public ssh_client {
 public:
  struct peer {
    node_context node;
    std::string password;
    std::string fingerprint = "SHA256:peerhostkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    bool up = true;
    recording_daemons daemons;
    // An impostor that answers the connections for logins (not the first look):
    // exec sees this host key instead of `fingerprint`.
    std::optional<std::string> login_fingerprint;
    // The connection is cut once after the receiver handled a request of this
    // kind (its files are written, the reply is lost).
    std::optional<lbha::v1::ReceiveRequest::KindCase> cut_after;
    int passwords_received = 0;  // password logins that reached this peer
    int locked_passwords = 0;    // lock-password requests run (usermod -L is not run)
  };

  peer& add_peer(const std::string& address, node_context node, std::string password) {
    auto& p = peers_[address];
    p.node = std::move(node);
    p.password = std::move(password);
    return p;
  }

  result<host_key_info> host_key(const ssh_target& target) override {
    ++calls;
    auto it = peers_.find(target.host);
    if (it == peers_.end() || !it->second.up) {
      return error(errc::unreachable, "cannot reach " + target.host);
    }
    return host_key_info{it->second.fingerprint, "ssh-ed25519"};
  }

  result<exec_result> exec(const ssh_target& target, const ssh_credentials& credentials,
                           const std::optional<std::string>& pinned, const std::string&,
                           const std::string& input) override {
    ++calls;
    auto it = peers_.find(target.host);
    if (it == peers_.end() || !it->second.up) {
      return error(errc::unreachable, "cannot reach " + target.host);
    }
    auto& p = it->second;
    const std::string seen = p.login_fingerprint.value_or(p.fingerprint);
    if (pinned && *pinned != seen) {
      return error(errc::host_key_mismatch, "the host key of " + target.host + " is " + seen +
                                                ", not the expected " + *pinned);
    }
    bool restricted = false;
    if (credentials.password) {
      ++p.passwords_received;
      if (*credentials.password != p.password) {
        return error(errc::auth_failed, "wrong password");
      }
    } else {
      auto pub = ensure_node_key(credentials.private_key);
      auto keys = read_file(p.node.authorized_keys);
      if (!pub || !keys || keys.value().find(pub.value()) == std::string::npos) {
        return error(errc::auth_failed, "key refused");
      }
      restricted = true;  // the key only runs the forced command
    }
    std::istringstream in(input);
    receive_reply reply;
    auto request = decode_request(in);
    if (!request) {
      reply.message = request.error().message();
    } else {
      receiver rx(p.node, "/usr/bin/lbha-receive-config --restricted", p.daemons);
      rx.set_password_locker([&p](const std::string&) -> result<void> {
        ++p.locked_passwords;
        return success();
      });
      reply = rx.handle(request.value(), restricted);
      if (p.cut_after && *p.cut_after == request.value().kind_case()) {
        p.cut_after.reset();
        return error(errc::exec_failed, "reading from " + target.host + " failed: connection lost");
      }
    }
    exec_result result;
    result.fingerprint = seen;
    result.exit_status = reply.ok ? 0 : 1;
    result.out = format_reply(reply) + "\n";
    return result;
  }

  int calls = 0;

 private:
  std::map<std::string, peer> peers_;
};

}  // namespace lbha::pairing::testing
