// lbctl sync status: the front end of lbha-syncd's status (lbha.v1.Sync on
// <run-dir>/syncd.sock): the peers sessions, the tables, and the peers port's
// defences (replicator/sync/README.md, Security), so an operator sees who was
// refused and why.
#include <map>
#include <sstream>
#include <string>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/sync_counters.hpp"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::cli {

namespace {

std::string render_sync_text(const v1::SyncStatus& s) {
  std::ostringstream out;
  out << "paired:          " << (s.paired() ? "yes (pair.pem: mutual TLS)" : "no") << "\n";
  out << "proxyd:          " << (s.proxy_connected() ? "connected" : "not connected") << "\n";
  for (const auto& peer : s.peers()) {
    out << "peer:            " << (peer.name().empty() ? "?" : peer.name()) << " " << peer.address()
        << " " << (peer.connected() ? "connected" : "not connected") << ", updates sent "
        << peer.updates_sent() << ", received " << peer.updates_received() << "\n";
  }
  for (const auto& table : s.tables()) {
    out << "table:           " << table.name() << ", " << table.entries() << " entries\n";
  }
  out << "resync pending:  " << (s.resync_pending() ? "yes" : "no") << "\n";
  // The defences' counters, one line, zeros left out.
  const auto counts = sync_refused_counts(s);
  const std::map<std::string_view, std::uint64_t> refused(counts.begin(), counts.end());
  out << "refused:        ";
  bool any = false;
  for (const auto& [what, count] : refused) {
    if (count == 0) continue;
    out << (any ? ", " : " ") << what << " " << count;
    any = true;
  }
  out << (any ? "" : " none") << "\n";
  out << "bytes:           sent " << s.bytes_sent() << ", received " << s.bytes_received() << "\n";
  return out.str();
}

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
