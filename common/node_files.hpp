// What a daemon is configured from at one moment: node.yaml and cluster.yaml,
// validated with every default filled in, and the directories they resolve to.
//
// Read at start and again on SIGHUP; a gRPC Reload brings a cluster config
// that its sender already validated. A node that has no cluster.yaml yet (just
// installed, not paired) runs with an empty one: default timings, no VIPs.
#pragma once

#include "common/daemon_options.hpp"
#include "common/node_directories.hpp"
#include "common/result.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha {

struct node_files {
  lbha::v1::NodeConfig node;
  lbha::v1::ClusterConfig cluster;
  node_directories dirs;
};

// StrictModes: node.yaml and each notify and alerts hook it names must be
// owned by root (or the daemon's own uid) and not group- or world-writable,
// nor any directory above them (common/file_trust.hpp); an alerts hook must
// also be executable (the error names node.yaml and the key, alerts.hooks[i]). Every load below checks it,
// so no daemon starts or reloads with a file another user could change.
result<void> check_node_trust(const std::filesystem::path& node_yaml,
                              const lbha::v1::NodeConfig& node);

// Loads options.node_config and <config_dir>/cluster.yaml. The error names
// the file, line and key of every problem, one per line.
result<node_files> load_node_files(const daemon_options& options);

// The same, with `cluster` in place of cluster.yaml (a Reload that carries it;
// checked again here, so a daemon never runs a config it did not validate).
result<node_files> load_node_files(const daemon_options& options,
                                   const lbha::v1::ClusterConfig& cluster);

}  // namespace lbha
