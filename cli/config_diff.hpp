// What a config change changes: a semantic diff of two ClusterConfigs, per
// virtual service and real server (matched by label) and per field, as the
// fields are written in cluster.yaml. `lbctl config diff`, `lbctl apply` and
// every `--dry-run` print it, so an operator sees what a commit will do
// before it is made.
//
// Both sides are normalized first (every default filled in), so a file that
// spells out a default and one that leaves it out do not differ. generation
// and term are not compared: the primary assigns them at commit.
//
//   ~ ha.deadtime: 1s -> 2s
//   + virtual service DA_VIP
//   +     ip: 192.0.2.101
//   ...
//   +     real server DA1: ip 192.0.2.31, port 9001, weight 100, state online
//   ~ virtual service IIS_VIP
//   ~     persistence.timeout: 30m -> 1h
//   ~     real server IIS1: weight 100 -> 50, state online -> halt
//   -     real server IIS2: ip 192.0.2.22, weight 100, state online
//   - virtual service OLD_VIP: 192.0.2.5 ports 80, 1 real server
#pragma once

#include <string>
#include <vector>

#include "lbha/v1/config.pb.h"

namespace lbha::cli {

struct config_change {
  enum class kind { added, removed, changed };
  kind what = kind::changed;
  std::string virtual_service;  // empty: a cluster-wide setting (ha.*)
  std::string real_server;      // empty: the service itself or one of its fields
  std::string key;              // dotted YAML key; empty: the whole service / server
  std::string before;           // the value as cluster.yaml writes it; a summary for a whole item
  std::string after;
};

// Changes from `before` to `after`, in cluster.yaml order: cluster settings,
// then the services of `after` (added or changed), then removed services.
// Within an added service, one `added` entry for the service, then one per
// field and one per real server.
std::vector<config_change> diff_configs(v1::ClusterConfig before, v1::ClusterConfig after);

// The text above, one line per change; "no changes\n" when there is none.
std::string render_diff(const std::vector<config_change>& changes);

// [{"change": "added"|"removed"|"changed", "virtual_service": ..., "real_server": ...,
//   "key": ..., "from": ..., "to": ...}, ...]
std::string diff_json(const std::vector<config_change>& changes);

}  // namespace lbha::cli
