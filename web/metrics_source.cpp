#include "web/metrics_source.hpp"

#include "cli/status_read.hpp"
#include "common/config/config.hpp"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::web {

node_read read_node(const cli::cli_context& context) {
  auto sync =
      cli::ask_status_async<v1::Sync, v1::SyncStatusRequest, v1::SyncStatus>(context, "syncd");
  auto replication =
      cli::ask_status_async<v1::Replication, v1::ReplicationStatusRequest, v1::ReplicationStatus>(
          context, "replicatord");
  node_read read;
  read.overview = cli::read_overview(context);
  auto synced = sync.get();
  read.sync = std::move(synced.reply);
  read.sync_error = std::move(synced.error);
  auto replicated = replication.get();
  read.replication = std::move(replicated.reply);
  read.replication_error = std::move(replicated.error);
  // Only the table's capacity comes from here; without node.yaml it is left out.
  auto node = config::load_node_config(context.node_config);
  if (node) {
    read.node = std::move(node).value();
    config::apply_defaults(*read.node);
  }
  return read;
}

}  // namespace lbha::web
