// The backup bundle of `lbctl config backup` / `restore`: one YAML file that
// holds the replicated config and, apart from it, this node's own files, so a
// replaced node can be rebuilt.
//
//   format: lbha-backup/1
//   created_at: 2026-12-07T01:00:00Z
//   node: lb1
//   cluster:                    # replicated: goes back in as a new commit
//     generation: 7
//     term: 2
//     cluster.yaml: |
//       ...
//   node_files:                 # this node only, never replicated
//     node.yaml: |
//       ...
//     pairing: |                # the state files below only with --include-keys
//     peer_host_key: |
//     heartbeat.key: |          # secret
//     pair.pem: |               # secret
//     id_ed25519: |             # secret
//
// parse_bundle checks everything (the format, cluster.yaml and node.yaml as
// the daemons would, each state file with its own parser) and reports every
// problem as file:line: key: message, so a restore writes nothing unless all
// of it is good. Pure: no file is read or written here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"
#include "common/result.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha::cli {

inline constexpr std::string_view bundle_format = "lbha-backup/1";

struct config_bundle {
  std::string created_at;
  std::string node;
  lbha::v1::ClusterConfig cluster;  // generation and term as committed
  std::string node_yaml;            // the file's text, as it was
  // State-dir files by name (pairing, peer_host_key, heartbeat.key, pair.pem,
  // id_ed25519); empty unless the backup was made with --include-keys.
  std::map<std::string, std::string> state_files;

  bool has_secrets() const { return !state_files.empty(); }
};

// The state files a bundle may carry, in the order they are written back
// (pairing last: its presence means "paired").
const std::vector<std::string>& bundle_state_file_names();

std::string to_text(const config_bundle& bundle);

// Every problem, one config_error each; empty when the bundle is good.
std::vector<config::config_error> bundle_errors(std::string_view text, std::string_view file_name);
// The bundle, or config::errc::invalid with every problem (one per line).
result<config_bundle> parse_bundle(std::string_view text, std::string_view file_name);

}  // namespace lbha::cli
