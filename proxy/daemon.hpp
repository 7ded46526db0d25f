// lbha-proxyd's process: reads node.yaml and cluster.yaml, runs the engine
// and the gRPC service until SIGINT/SIGTERM; SIGHUP or Proxy.Reload with no
// config re-reads cluster.yaml.
//
// Lifecycle: the main thread runs the control io_context (health checks,
// stick-table sweep, signals); the engine's workers run the data plane; gRPC
// has its own threads. Shutdown is LIFO: signals, gRPC (WatchTable streams
// end first), then the engine (listeners and connections closed, workers
// joined), after which the control io_context runs dry and returns.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "common/daemon_options.hpp"
#include "lbha/v1/config.pb.h"
#include "proxy/worker.hpp"

namespace lbha::proxy {

struct proxyd_inputs {
  v1::NodeConfig node;
  std::filesystem::path run_dir;
  std::filesystem::path cluster_file;  // <config_dir>/cluster.yaml
};

// Loads node.yaml and resolves the directories; an error message on failure.
std::optional<std::string> load_inputs(const daemon_options& options, proxyd_inputs& out);

// Loads and validates a cluster.yaml; every error on its own line.
std::optional<std::string> load_cluster(const std::filesystem::path& file, v1::ClusterConfig& out);

// How long gRPC calls still running at shutdown (a syncd's table streams) get
// to finish before they are cancelled.
inline constexpr std::chrono::milliseconds grpc_shutdown_grace{500};

// Runs the daemon; the process exit code.
int run_daemon(const daemon_options& options,
               worker_scheduling scheduling = worker_scheduling::batch);

}  // namespace lbha::proxy
