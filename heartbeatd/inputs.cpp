#include "heartbeatd/inputs.hpp"

#include "common/config/config.hpp"
#include "common/node_directories.hpp"

namespace lbha::heartbeat {

void add_heartbeatd_options(CLI::App& app, heartbeatd_options& options) {
  add_daemon_options(app, options.daemon);
  app.add_option("--key-file", options.key_file,
                 "heartbeat keyring (default <state-dir>/heartbeat.key)");
  app.add_option("--cluster-id", options.cluster_id,
                 "cluster id, 32 hex digits (default from <state-dir>/pairing)");
  app.add_option("--node-id", options.node_id, "node id (default from <state-dir>/pairing)");
  app.add_option("--realtime-priority", options.realtime_priority,
                 "SCHED_RR priority of the heartbeat thread, so load cannot delay heartbeats "
                 "or a takeover (0 = normal scheduling)")
      ->check(CLI::Range(0, 99))
      ->capture_default_str();
}

bool load_inputs(const heartbeatd_options& options, daemon_inputs& out, std::string& error) {
  auto node = config::load_node_config(options.daemon.node_config);
  if (!node) {
    error = node.error().message();
    return false;
  }
  out.node = node.value();
  const auto dirs = resolve_directories(options.daemon, out.node);
  out.state_dir = dirs.state_dir;
  out.run_dir = dirs.run_dir;
  const auto cluster_path = dirs.cluster_file();
  std::error_code ec;
  if (std::filesystem::exists(cluster_path, ec)) {
    auto cluster = config::load_cluster_config(cluster_path);
    if (!cluster) {
      error = cluster.error().message();
      return false;
    }
    out.cluster = cluster.value();
  } else {
    out.cluster = {};  // not configured yet: default timings, no VIPs
    config::apply_defaults(out.cluster);
  }

  const state::state_files files(out.state_dir);
  auto pairing = load_identity(files);
  if (!pairing) {
    error = pairing.error().message();
    return false;
  }
  out.id = pairing.value();
  if (!options.cluster_id.empty() || options.node_id != 0) {
    identity id = out.id.value_or(identity{});
    if (!options.cluster_id.empty()) {
      auto c = state::parse_cluster_id(options.cluster_id);
      if (!c) {
        error = "--cluster-id must be 32 hex digits";
        return false;
      }
      id.cluster = *c;
    }
    if (options.node_id != 0) id.node_id = options.node_id;
    out.id = id;
  }
  const auto key_path = !options.key_file.empty() ? options.key_file : files.heartbeat_key();
  auto keys = state::read_heartbeat_keys(key_path);
  if (!keys) {
    error = keys.error().message();
    return false;
  }
  if (!keys.value() && !options.key_file.empty()) {
    error = key_path.string() + ": does not exist";
    return false;
  }
  out.keys = keys.value() ? keyring(std::move(*keys.value())) : keyring{};
  if (!out.keys.empty() && (!out.id || out.id->node_id == 0)) {
    error = "a heartbeat key but no node id: pair the nodes (" + files.pairing().string() +
            ") or pass --node-id";
    return false;
  }
  return true;
}

}  // namespace lbha::heartbeat
