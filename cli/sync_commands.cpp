// lbctl sync status: the front end of lbha-syncd's status (lbha.v1.Sync on
// <run-dir>/syncd.sock): the peers sessions, the tables, and the peers port's
// defences (replicator/sync/README.md, Security), so an operator sees who was
// refused and why.
#include <map>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/pair_status_view.hpp"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::cli {

namespace {

void run_sync_status(cli_context& context) {
  v1::SyncStatus status;
  auto ctx = context_with_deadline(query_timeout);
  if (!rpc_ok(context, "syncd",
              stub_for<v1::Sync>(context, "syncd")
                  ->GetStatus(ctx.get(), v1::SyncStatusRequest{}, &status))) {
    return;
  }
  context.exit_code = exit_code::ok;
  *context.out << (context.json ? to_json(status) : render_sync_text(status));
}

}  // namespace

void add_sync_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand("sync", "persistence-table sync with the peer (lbha-syncd)");
  group->require_subcommand(1);
  group->footer("Example:\n  lbctl sync status\n  lbctl --json sync status");
  auto* status = group->add_subcommand(
      "status", "peers sessions, tables, and the peers port's refusals (TCP 7778)");
  status->footer(
      "--json prints lbha.v1.SyncStatus (proto field names, all fields).\n"
      "Example:\n  lbctl sync status\n  lbctl --json sync status");
  status->callback([&context] { run_sync_status(context); });
}

}  // namespace lbha::cli
