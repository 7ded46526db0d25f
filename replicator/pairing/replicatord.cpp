#include "replicator/pairing/replicatord.hpp"

#include <pwd.h>
#include <unistd.h>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "replicator/pairing/heartbeat_watch.hpp"
#include "replicator/pairing/receive_socket.hpp"
#include "replicator/pairing/receiver.hpp"
#include "replicator/pairing/replication_service.hpp"

namespace lbha::pairing {
namespace {

struct replicatord_flags {
  int check_ms = 10000;
  int max_backoff_ms = 60000;
};

auto fields(const node_context& c) {
  return std::tie(c.node_name, c.config_dir, c.state_dir, c.run_dir, c.local_addresses,
                  c.peer_addresses, c.ssh_user, c.ssh_port, c.receive_command, c.authorized_keys);
}

// The command installed behind the primary's key in authorized_keys: this
// node's relay (found beside lbha-replicatord by load_node_context, so sshd
// finds it whatever the login user's PATH) with this node's files.
std::string forced_command(const node_context& node, const daemon_options& options) {
  std::error_code ec;
  std::string command =
      node.receive_command + " --node-config " + std::filesystem::absolute(node.node_config, ec).string();
  if (!options.state_dir.empty()) command += " --state-dir " + options.state_dir.string();
  if (!options.run_dir.empty()) command += " --run-dir " + options.run_dir.string();
  return command + " --log-level warn --restricted";
}

// Who may hand a request to receive.sock: root and node.yaml's ssh.user (and
// this process's own uid when it is not root, e.g. a developer's run).
receive_server::options receive_options(const node_context& node) {
  receive_server::options opts;
  opts.socket = receive_socket_path(node.run_dir);
  opts.node_name = node.node_name;
  opts.allowed_uids = {0, ::geteuid()};
  if (const passwd* pw = ::getpwnam(node.ssh_user.c_str())) {
    opts.allowed_uids.insert(pw->pw_uid);
    if (::geteuid() == 0) opts.socket_group = pw->pw_gid;
  } else {
    get_logger("receive")->warn("no login user '{}' (node.yaml ssh.user): {} accepts root only",
                                node.ssh_user, opts.socket.string());
  }
  return opts;
}

class replicatord_component final : public daemon_component {
 public:
  replicatord_component(daemon_environment& env, const replicatord_flags& flags, node_context node)
      : options_(env.options),
        alerts_(env.io, env.clock, "replicatord"),
        node_(std::move(node)),
        daemons_(node_.run_dir),
        ops_(node_, ssh_, daemons_),
        replicator_(env.io, ops_,
                    {std::chrono::milliseconds(flags.check_ms),
                     std::chrono::milliseconds(flags.max_backoff_ms)}),
        service_(replicator_),
        watch_(socket_path(node_.run_dir, "heartbeatd"),
               {.status = [this](const lbha::v1::HaStatus& s) { replicator_.on_heartbeat(s); },
                .lost = [this] { replicator_.on_heartbeat_lost(); }},
               std::chrono::milliseconds(1000)),
        receive_daemons_(node_.run_dir),
        receive_(receive_options(node_),
                 [this, forced = forced_command(node_, options_)](
                     const lbha::v1::ReceiveRequest& request, const relay_header& how) {
                   // One at a time: the server's one thread, and receive.lock inside.
                   receiver rx(node_, forced, receive_daemons_);
                   return rx.handle(request, how.restricted, how.client_address);
                 }) {
    alerts_.configure(env.files.node);
    replicator_.set_alert_sink([this](alert_event e) { alerts_.emit(std::move(e)); });
    replicator_.set_alert_counters([this] { return alerts_.counters(); });
  }

  result<void> start() override {
    if (auto r = receive_.start(); !r) return r.error().prefixed("receive socket");
    replicator_.start();
    watch_.start();
    return success();
  }
  std::vector<grpc::Service*> services() override { return {&service_}; }

  // Replication reads cluster.yaml afresh for every exchange; of node.yaml it
  // holds the addresses, directories and SSH settings, which need a restart.
  result<void> reload(const node_files& files) override {
    auto next = load_node_context(options_);
    if (!next) return next.error();
    if (fields(next.value()) != fields(node_))
      return error(std::errc::operation_not_supported,
                   "node.yaml's addresses, directories or ssh settings changed: restart "
                   "lbha-replicatord to apply them");
    alerts_.configure(files.node);  // the alert hooks apply at once
    return success();
  }

  void stop() override {
    receive_.stop();
    watch_.stop();
    replicator_.stop();
    alerts_.stop();
  }

  std::string summary() const override { return "replication for node " + node_.node_name; }

 private:
  daemon_options options_;
  event_hooks alerts_;  // outlives the replicator, which emits push_failed into it
  node_context node_;
  libssh_client ssh_;
  grpc_local_daemons daemons_;
  replication_ops ops_;
  replicator replicator_;
  replication_service service_;
  heartbeat_watch watch_;
  // The relay's requests (receive_socket.hpp), on the server's own thread
  // with its own gRPC clients for the local daemons.
  grpc_local_daemons receive_daemons_;
  receive_server receive_;
};

}  // namespace

daemon_spec replicatord_spec() {
  auto flags = std::make_shared<replicatord_flags>();
  return {
      .name = "replicatord",
      .description = "lbha-replicatord: pairing and cluster-config replication over SSH",
      .add_options =
          [flags](CLI::App& app) {
            app.add_option("--catch-up-interval-ms", flags->check_ms,
                           "how often the primary checks the secondary's generation")
                ->capture_default_str();
            app.add_option("--catch-up-max-backoff-ms", flags->max_backoff_ms,
                           "longest wait between checks while the secondary is unreachable")
                ->capture_default_str();
          },
      .make = [flags](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        auto node = load_node_context(env.options);
        if (!node) return node.error();
        return std::make_unique<replicatord_component>(env, *flags, std::move(node.value()));
      },
  };
}

}  // namespace lbha::pairing
