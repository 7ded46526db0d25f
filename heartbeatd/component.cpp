#include "heartbeatd/component.hpp"

#include "common/logging.hpp"
#include "heartbeatd/ha_service.hpp"
#include "heartbeatd/inputs.hpp"
#include "heartbeatd/realtime.hpp"

namespace lbha::heartbeat {
namespace {

result<daemon_inputs> inputs_of(const heartbeatd_options& options) {
  daemon_inputs in;
  std::string message;
  if (!load_inputs(options, in, message)) return error(std::errc::invalid_argument, message);
  return in;
}

class heartbeatd_component final : public daemon_component {
 public:
  heartbeatd_component(daemon_environment& env, heartbeatd_options options, daemon_inputs in)
      : options_(std::move(options)),
        daemon_(env.io, env.clock, std::move(in)),
        service_(env.io, daemon_, env.runtime.reloader()) {}

  result<void> start() override {
    std::string message;
    if (!daemon_.start(message)) return error(std::errc::invalid_argument, message);
    return success();
  }
  std::vector<grpc::Service*> services() override { return {&service_}; }

  // The pairing identity and key live in the state dir, beside the configs:
  // a reload reads them again too (so `lbctl pair` starts a standalone daemon).
  // The configs are the ones the runtime validated (a Reload's, or the files).
  result<void> reload(const node_files& files) override {
    auto next = inputs_of(options_);
    if (!next) return next.error();
    next.value().node = files.node;
    next.value().cluster = files.cluster;
    std::string message;
    if (!daemon_.reload(std::move(next.value()), message))
      return error(std::errc::invalid_argument, message);
    return success();
  }

  void serving() override {
    // After the gRPC threads exist: only the io thread runs real-time.
    if (auto ec = make_this_thread_realtime(options_.realtime_priority)) {
      get_logger("heartbeatd")
          ->warn("cannot run the heartbeat thread real-time (SCHED_RR {}): {}; continuing at "
                 "normal priority",
                 options_.realtime_priority, ec.message());
    }
  }
  void stop_streams() override { daemon_.board().close(); }  // wakes WatchStatus, MakeActive
  void stop() override { daemon_.stop(); }

 private:
  heartbeatd_options options_;
  heartbeat_daemon daemon_;
  ha_service service_;
};

}  // namespace

daemon_spec heartbeatd_spec() {
  auto flags = std::make_shared<heartbeatd_options>();
  return {
      .name = "heartbeatd",
      .description = "lbha-heartbeatd: heartbeat on UDP 6694, failover and VIP ownership",
      .add_options =
          [flags](CLI::App& app) {
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
          },
      .make = [flags](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        heartbeatd_options options = *flags;
        options.daemon = env.options;
        auto in = inputs_of(options);
        if (!in) return in.error();
        return std::make_unique<heartbeatd_component>(env, std::move(options),
                                                      std::move(in.value()));
      },
  };
}

}  // namespace lbha::heartbeat
