// The node's Prometheus metrics as a pure function of one read of its
// daemons' status: what lbha-webd answers on /metrics.
//
// Names and labels follow HAProxy's exporter where lbha has the same figure
// (lbha_backend_current_sessions{proxy}, lbha_server_status{proxy,server,state}),
// so dashboards and alerts written for HAProxy carry over by changing the
// prefix; the HA pair, the persistence-table sync and the config replication
// have families of their own. Every family, its labels and meaning:
// web/README.md "Metrics".
//
// Kept apart from the RPCs (metrics_source.hpp) so the page is golden-tested
// from fixed messages (tests/web/golden/).
#pragma once

#include <optional>
#include <string>

#include "cli/status_view.hpp"
#include "lbha/v1/config.pb.h"
#include "lbha/v1/replication.pb.h"
#include "lbha/v1/sync.pb.h"

namespace lbha::web {

// One read of the node: lbctl status's overview (heartbeatd, proxyd,
// cluster.yaml) plus syncd and replicatord. A daemon that did not answer
// leaves its message unset and says why in its *_error.
struct node_read {
  cli::overview overview;
  std::optional<v1::SyncStatus> sync;
  std::string sync_error;
  std::optional<v1::ReplicationStatus> replication;
  std::string replication_error;
  // node.yaml, when readable: the persistence table's capacity
  // (proxy.stick_table_size), which proxyd's status does not carry.
  std::optional<v1::NodeConfig> node;
};

// The exposition text (format 0.0.4). lbha_daemon_up{daemon} is 1 or 0 for
// each of the four daemons; a daemon that did not answer contributes no
// other family, so a dead daemon's counters vanish instead of reading 0.
std::string render_metrics(const node_read& read);

}  // namespace lbha::web
