#include "proxy/daemon.hpp"

#include <thread>

#include "common/config/config.hpp"
#include "common/node_directories.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/shutdown.hpp"
#include "proxy/control_service.hpp"
#include "proxy/engine.hpp"

namespace lbha::proxy {

std::optional<std::string> load_inputs(const daemon_options& options, proxyd_inputs& out) {
  auto node = config::load_node_config(options.node_config);
  if (!node) return node.error().message();
  out.node = node.value();
  const auto dirs = resolve_directories(options, out.node);
  out.run_dir = dirs.run_dir;
  out.cluster_file = dirs.cluster_file();
  return std::nullopt;
}

std::optional<std::string> load_cluster(const std::filesystem::path& file, v1::ClusterConfig& out) {
  auto cluster = config::load_cluster_config(file);
  if (!cluster) return cluster.error().message();
  out = cluster.value();
  return std::nullopt;
}

int run_daemon(const daemon_options& options, worker_scheduling scheduling) {
  auto log = get_logger("proxyd");
  proxyd_inputs inputs;
  if (auto error = load_inputs(options, inputs)) {
    log->critical("{}", *error);
    return 1;
  }
  v1::ClusterConfig cluster;
  if (auto error = load_cluster(inputs.cluster_file, cluster)) {
    log->critical("{}", *error);
    return 1;
  }
  const auto& settings = inputs.node.proxy();
  asio::io_context control;
  steady_clock clock;
  engine data_plane(control, clock,
                    engine_options{settings.threads(), settings.stick_table_size(),
                                   settings.source_address(), scheduling});
  if (auto error = data_plane.start(cluster)) {
    log->critical("{}", *error);
    return 1;
  }
  auto reload_from_disk = [&]() -> std::optional<std::string> {
    v1::ClusterConfig next;
    if (auto error = load_cluster(inputs.cluster_file, next)) return error;
    return data_plane.reload(next);
  };
  // Signals are watched before anything can see the daemon (the gRPC socket):
  // a SIGTERM sent as soon as Ready answers must not find the default action.
  // Their handlers run only inside control.run(), once every step is pushed.
  shutdown_sequence sequence;
  signal_watcher signals(control, sequence, [&] {
    if (auto error = reload_from_disk()) log->error("reload refused: {}", *error);
  });
  control_service service(data_plane, reload_from_disk);
  const auto socket = socket_path(inputs.run_dir, "proxyd");
  auto server = start_unix_server(socket, {&service});
  if (!server) {
    log->critical("gRPC socket {}: {}", socket.string(), server.error().message());
    data_plane.stop();
    return 1;
  }
  log->info("serving {} virtual services; control on {}", cluster.virtual_services_size(),
            socket.string());

  std::thread grpc_stopper;
  sequence.push("engine", [&] {
    data_plane.stop();
    log->debug("engine stopped");
  });
  sequence.push("grpc", [&] {
    service.stop();
    // A client (syncd) may hold an ApplyTable or WatchTable stream open: the
    // deadline cancels whatever is still running after it. Handlers may be
    // blocked on work this thread would run, so shut down from another one.
    grpc_stopper = std::thread([&] {
      server.value()->Shutdown(std::chrono::system_clock::now() + grpc_shutdown_grace);
    });
  });
  sequence.push("signals", [&] { signals.stop(); });
  control.run();
  log->debug("control loop drained; waiting for gRPC calls");
  if (grpc_stopper.joinable()) grpc_stopper.join();
  server.value()->Shutdown(std::chrono::system_clock::now());
  server.value()->Wait();
  log->debug("gRPC stopped");
  return 0;
}

}  // namespace lbha::proxy
