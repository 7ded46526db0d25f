#include "heartbeatd/component.hpp"

#include "common/logging.hpp"
#include "heartbeatd/ha_service.hpp"
#include "heartbeatd/inputs.hpp"
#include "heartbeatd/realtime.hpp"
#include "heartbeatd/vip_installer.hpp"

namespace lbha::heartbeat {
namespace {

class heartbeatd_component final : public daemon_component {
 public:
  heartbeatd_component(daemon_environment& env, heartbeatd_flags flags, daemon_inputs in)
      : flags_(std::move(flags)),
        daemon_(env.io, env.clock, std::move(in)),
        service_(env.io, daemon_, env.runtime.reloader()) {}

  result<void> start() override { return daemon_.start(); }
  std::vector<grpc::Service*> services() override { return {&service_}; }

  // The configs are the ones the runtime validated (a Reload's, or the files);
  // the pairing identity and key are read from the state dir again, so
  // `lbctl pair` starts a running standalone daemon heartbeating.
  result<void> reload(const node_files& files) override {
    auto next = load_inputs(flags_, files);
    if (!next) return next.error();
    auto reloaded = daemon_.reload(std::move(next).value());
    if (!reloaded) return reloaded.error();
    return success();
  }

  void serving() override {
    // After the gRPC threads exist: only the io thread runs real-time.
    if (auto ec = make_this_thread_realtime(flags_.realtime_priority)) {
      get_logger("heartbeatd")
          ->warn("cannot run the heartbeat thread real-time (SCHED_RR {}): {}; continuing at "
                 "normal priority",
                 flags_.realtime_priority, ec.message());
    }
  }
  // A planned stop (systemctl stop/restart, an upgrade) of the active node
  // hands the VIPs to the peer first, bounded by make-active's own timeout;
  // --no-handover stops as a crash would, the peer waiting one deadtime.
  void prepare_stop(std::function<void()> done) override {
    if (flags_.no_handover) {
      done();
      return;
    }
    daemon_.hand_over_then(daemon_.make_active_timeout(), std::move(done));
  }
  void stop_streams() override { daemon_.board().close(); }  // wakes WatchStatus, MakeActive
  void stop() override { daemon_.stop(); }

 private:
  heartbeatd_flags flags_;
  heartbeat_daemon daemon_;
  ha_service service_;
};

// --release-vips: what the unit's ExecStopPost runs, so VIPs a crashed or
// killed heartbeatd left on the interface do not answer for a node that no
// longer serves them (the peer takes them over).
result<void> release_vips_of(const node_files& files) {
  auto table = vip_addresses::open(files.node.interface());
  if (!table) return table.error().prefixed("interface " + files.node.interface());
  auto present = table.value()->list();
  if (!present) return present.error().prefixed("addresses of " + files.node.interface());
  auto removed = release_vips(*table.value(), present.value(), vips_of(files.cluster));
  if (!removed) return removed.error();
  std::string names;
  for (const auto& a : removed.value()) names += (names.empty() ? "" : ", ") + a.to_string();
  get_logger("heartbeatd")
      ->info("released {} VIP(s) from {}{}{}", removed.value().size(), files.node.interface(),
             names.empty() ? "" : ": ", names);
  return success();
}

}  // namespace

daemon_spec heartbeatd_spec() {
  auto flags = std::make_shared<heartbeatd_flags>();
  auto release = std::make_shared<bool>(false);
  return {
      .name = "heartbeatd",
      .description = "lbha-heartbeatd: heartbeat on UDP 6694, failover and VIP ownership",
      .add_options =
          [flags, release](CLI::App& app) {
            app.add_flag("--release-vips", *release,
                         "remove cluster.yaml's VIPs from node.yaml's interface (those present, "
                         "nothing else) and exit; the unit runs it after the daemon stops");
            app.add_option("--key-file", flags->key_file,
                           "heartbeat keyring (default <state-dir>/heartbeat.key)");
            app.add_option("--cluster-id", flags->cluster_id,
                           "cluster id, 32 hex digits (default from <state-dir>/pairing)");
            app.add_option("--node-id", flags->node_id,
                           "node id (default from <state-dir>/pairing)");
            app.add_option("--realtime-priority", flags->realtime_priority,
                           "SCHED_RR priority of the heartbeat thread, so load cannot delay "
                           "heartbeats or a takeover (0 = normal scheduling)")
                ->check(CLI::Range(0, 99))
                ->capture_default_str();
            app.add_flag("--no-handover", flags->no_handover,
                         "on SIGTERM, an active node does not hand its VIPs to the peer first "
                         "(the peer then takes over one deadtime later)");
          },
      .make = [flags](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        auto in = load_inputs(*flags, env.files);
        if (!in) return in.error();
        return std::make_unique<heartbeatd_component>(env, *flags, std::move(in).value());
      },
      // The pairing and the heartbeat keyring (mode, owner, format) and the
      // identity flags: what start and a reload refuse, --check refuses.
      .validate = [flags](const node_files& files) -> result<void> {
        if (auto in = load_inputs(*flags, files); !in) return in.error();
        return success();
      },
      .command_selected = [release] { return *release; },
      .command = release_vips_of,
  };
}

}  // namespace lbha::heartbeat
