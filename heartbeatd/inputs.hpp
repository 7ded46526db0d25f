// Builds daemon_inputs from what the runtime loaded (node.yaml, cluster.yaml,
// the directories) and the state dir (pairing, heartbeat.key: common/state),
// with heartbeatd's own flags on top. Used at start and again at every reload.
#pragma once

#include <filesystem>
#include <string>

#include "common/node_files.hpp"
#include "common/result.hpp"
#include "heartbeatd/daemon.hpp"

namespace lbha::heartbeat {

// heartbeatd's own flags (the runtime parses the common ones).
struct heartbeatd_flags {
  std::filesystem::path key_file;  // overrides <state>/heartbeat.key
  std::string cluster_id;          // overrides <state>/pairing (32 hex digits)
  std::uint32_t node_id = 0;       // overrides <state>/pairing
  int realtime_priority = 10;      // SCHED_RR priority of the heartbeat thread; 0 = normal
  bool no_handover = false;        // SIGTERM on the active node: no handover to the peer first
};

// The error names the file and the problem.
result<daemon_inputs> load_inputs(const heartbeatd_flags& flags, const node_files& files);

}  // namespace lbha::heartbeat
