// Builds daemon_inputs from the command line, node.yaml, cluster.yaml and the
// state dir (pairing, heartbeat.key: common/state). Used at start and again by Reload.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "common/daemon_options.hpp"
#include "heartbeatd/daemon.hpp"

namespace lbha::heartbeat {

struct heartbeatd_options {
  lbha::daemon_options daemon;
  std::filesystem::path key_file;  // overrides <state>/heartbeat.key
  std::string cluster_id;          // overrides <state>/pairing (32 hex digits)
  std::uint32_t node_id = 0;       // overrides <state>/pairing
  int realtime_priority = 10;      // SCHED_RR priority of the heartbeat thread; 0 = normal
};

void add_heartbeatd_options(CLI::App& app, heartbeatd_options& options);

// False with a message naming the file and the problem.
bool load_inputs(const heartbeatd_options& options, daemon_inputs& out, std::string& error);

}  // namespace lbha::heartbeat
