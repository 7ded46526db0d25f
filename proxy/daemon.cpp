#include "proxy/daemon.hpp"

#include <linux/capability.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/event_hooks.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/restart_notice.hpp"
#include "proxy/control_service.hpp"
#include "proxy/engine.hpp"
#include "proxy/fd_store.hpp"
#include "proxy/handover.hpp"

namespace lbha::proxy {
namespace {

// Under --user the workers make the server sockets of transparent services,
// whose IP_TRANSPARENT needs CAP_NET_RAW: each keeps it permitted but not
// effective (proxy/transparent.hpp). As root they need nothing kept.
std::vector<int> worker_capabilities(const daemon_options& options) {
  if (options.user.empty()) return {};
  return {CAP_NET_RAW};
}

class proxyd_component final : public daemon_component {
 public:
  proxyd_component(daemon_environment& env, worker_scheduling scheduling)
      : cluster_(env.files.cluster),
        run_dir_(env.files.dirs.run_dir),
        alerts_(env.io, env.clock, "proxyd"),
        engine_(env.io, env.clock,
                engine_options{env.files.node.proxy().threads(),
                               env.files.node.proxy().stick_table_size(),
                               env.files.node.proxy().source_address(), scheduling,
                               worker_capabilities(env.options)}),
        service_(engine_, env.runtime.reloader()) {
    alerts_.configure(env.files.node);
    engine_.set_alert_sink([this](alert_event e) { alerts_.emit(std::move(e)); });
    service_.set_alert_counters([this] { return alerts_.counters(); });
  }

  result<void> start() override {
    // As root, before the privilege drop: the run dir is root's.
    if (auto opened = notice_.open(run_dir_); !opened)
      get_logger("proxyd")->warn("restart notice for heartbeatd: {}", opened.error().message());
    // What a proxyd stopped by `systemctl restart` left in systemd's store.
    auto received = receive_handover(take_inherited_fds());
    std::optional<received_handover> from;
    if (received) {
      from = std::move(received).value();
    } else {
      get_logger("proxyd")->error("starting afresh, the previous proxyd's handover is unusable: {}",
                                  received.error().message());
    }
    auto started = engine_.start(cluster_, std::move(from));
    // Taken over or closed: either way the store's copies must go.
    if (systemd_fd_store::available()) {
      systemd_fd_store store;
      forget_handover(store);
    }
    return started;
  }
  std::vector<grpc::Service*> services() override { return {&service_}; }
  result<void> reload(const node_files& files) override {
    alerts_.configure(files.node);
    return engine_.reload(files.cluster);
  }
  void serving() override {
    notice_.clear();
    // After the drop to --user, which the workers' capabilities had to
    // survive whole (privileges.hpp): now each keeps CAP_NET_RAW only.
    if (auto narrowed = engine_.narrow_worker_capabilities(); !narrowed) {
      get_logger("proxyd")->error("workers keep more capabilities than CAP_NET_RAW: {}",
                                  narrowed.error().message());
    }
  }
  // A stop under systemd (restart, upgrade, stop) leaves listeners, sessions
  // and the persistence table in its file descriptor store for the next
  // proxyd (proxy/handover.hpp), and tells heartbeatd not to take the gap
  // for a failure. A plain stop: systemd closes them once the unit is down.
  void prepare_stop(std::function<void()> done) override {
    if (systemd_fd_store::available()) {
      notice_.announce(restart_bound);
      systemd_fd_store store;
      auto log = get_logger("proxyd");
      if (auto handed = engine_.hand_over(store); handed) {
        log->info(
            "handed to the next proxyd: {} listening sockets, {} sessions, {} persistence "
            "entries",
            handed.value().listeners, handed.value().sessions, handed.value().stick_entries);
      } else {
        notice_.clear();
        log->error("could not hand over to the next proxyd, connections closed: {}",
                   handed.error().message());
      }
    }
    done();
  }
  void stop_streams() override { service_.stop(); }
  void stop() override {
    engine_.stop();
    alerts_.stop();
  }
  bool alive() override { return engine_.alive(); }
  std::string summary() const override {
    return "serving " + std::to_string(cluster_.virtual_services_size()) + " virtual services";
  }

 private:
  // How long heartbeatd waits for the next proxyd before it counts as failed.
  static constexpr std::chrono::milliseconds restart_bound{5000};

  v1::ClusterConfig cluster_;  // the one started with
  std::filesystem::path run_dir_;
  restart_notice notice_;
  event_hooks alerts_;  // outlives the engine, whose health checks emit into it
  engine engine_;
  control_service service_;
};

// Beyond the loader's checks: every external check's program is there and
// executable on this node (cluster.yaml is the same on both nodes, the
// programs are each node's own), so a commit naming a program one node lacks
// is refused there, and that node keeps its running config.
result<void> validate_files(const node_files& files) {
  std::string missing;
  for (const auto& service : files.cluster.virtual_services()) {
    const auto& check = service.check();
    if (check.type() != v1::HealthCheck::TYPE_EXTERNAL || check.command().empty()) continue;
    if (::access(check.command(0).c_str(), X_OK) != 0) {
      missing += (missing.empty() ? "" : "; ") + service.label() + ": external check " +
                 check.command(0) + ": " + std::strerror(errno);
    }
  }
  if (missing.empty()) return success();
  return error(std::errc::no_such_file_or_directory, missing);
}

daemon_spec spec_with(std::shared_ptr<std::string> scheduling) {
  return {
      .name = "proxyd",
      .description = "lbha-proxyd: layer 7 TCP load balancing on the VIPs",
      .add_options = {},
      .make = [scheduling](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        return std::make_unique<proxyd_component>(
            env, *scheduling == "normal" ? worker_scheduling::normal : worker_scheduling::batch);
      },
      // --user: as an unprivileged user it still binds VIP ports below 1024
      // on reload (the io thread opens every listener).
      .validate = validate_files,
      .user_capabilities = std::vector<int>{CAP_NET_BIND_SERVICE},
  };
}

}  // namespace

daemon_spec proxyd_spec() {
  auto scheduling = std::make_shared<std::string>("batch");
  auto spec = spec_with(scheduling);
  spec.add_options = [scheduling](CLI::App& app) {
    app.add_option("--worker-scheduling", *scheduling,
                   "how the data-plane threads are scheduled: batch (SCHED_BATCH) or normal")
        ->check(CLI::IsMember({"batch", "normal"}))
        ->capture_default_str();
  };
  return spec;
}

daemon_spec proxyd_spec(worker_scheduling scheduling) {
  return spec_with(
      std::make_shared<std::string>(scheduling == worker_scheduling::normal ? "normal" : "batch"));
}

}  // namespace lbha::proxy
