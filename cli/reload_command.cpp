// lbctl reload [all|proxy]: the seed's "Restart HAProxy" step, hitless.
//
// Every data daemon re-reads node.yaml and cluster.yaml through its one
// Reload (lbha.v1.ReloadRequest, the path SIGHUP takes): proxyd swaps its
// tables without dropping open connections, syncd adds and removes tables
// without dropping its peer sessions, heartbeatd follows the VIPs and
// timings. In the order a commit reloads them: proxyd, syncd, heartbeatd
// (replicator/pairing/local_daemons.hpp says why). The first daemon that
// refuses or does not answer stops the reload, named on stderr.
//
// Before any daemon is asked, cluster.yaml is compared with the committed
// generation it names (replicatord's history): a hand-edited file is never
// served unreplicated. On the primary (or an unpaired node) the edit is
// committed as a new generation (validated, replicated) and then reloaded; on
// the secondary the reload is refused naming the difference, and the daemons
// keep the committed config.
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_diff.hpp"
#include "cli/daemon_calls.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::cli {

namespace {

// Reloads one daemon and prints "lbha-<daemon>: reloaded (...)" or the
// failure; false on failure.
template <typename Service>
bool reload(const char* daemon, cli_context& context) {
  v1::ReloadResult reply;
  auto ctx = context_with_deadline(change_timeout);
  auto rpc = stub_for<Service>(context, daemon)->Reload(ctx.get(), v1::ReloadRequest{}, &reply);
  if (!rpc_ok(context, daemon, rpc)) return false;
  if (!reply.ok()) {
    *context.err << "lbctl: lbha-" << daemon << " reload failed: " << reply.message() << "\n";
    context.exit_code = exit_code::failed;
    return false;
  }
  *context.out << "lbha-" << daemon << ": reloaded"
               << (reply.message().empty() ? "" : " (" + reply.message() + ")") << "\n";
  return true;
}

// False when the reload must not go on (exit code and reason set).
bool committed_or_commit(cli_context& context) {
  const auto file = (context.config_dir / "cluster.yaml").string();
  auto on_disk = load_current_config(context);
  if (!on_disk) {
    *context.err << "lbctl: not reloaded: the daemons keep the config they run\n";
    return false;
  }
  auto replication = stub_for<v1::Replication>(context, "replicatord");
  v1::ReplicationStatus status;
  auto status_ctx = context_with_deadline(std::chrono::milliseconds(5000));
  auto rpc = replication->GetStatus(status_ctx.get(), v1::ReplicationStatusRequest{}, &status);
  if (!rpc.ok()) {
    *context.err << "lbctl: warning: cannot check " << file << " against the committed generation ("
                 << rpc_failure(context, "replicatord", rpc) << "); reloading it as it is\n";
    return true;
  }
  v1::GenerationRequest request;
  request.set_generation(on_disk->generation());
  v1::GenerationReply committed;
  auto ctx = context_with_deadline(std::chrono::milliseconds(5000));
  rpc = replication->GetGeneration(ctx.get(), request, &committed);
  if (!rpc.ok() || !committed.ok()) {
    *context.err << "lbctl: warning: cannot check " << file << " against committed generation "
                 << on_disk->generation() << " ("
                 << (rpc.ok() ? committed.message() : rpc.error_message())
                 << "); reloading it as it is\n";
    return true;
  }
  const auto changes = diff_configs(committed.config(), *on_disk);
  if (changes.empty() && committed.config().term() == on_disk->term()) return true;
  const std::string generation = std::to_string(on_disk->generation());
  if (status.role() == "secondary") {
    *context.err << "lbctl: refused: " << file << " differs from committed generation "
                 << generation << ":\n"
                 << render_diff(changes) << "this node is the secondary of " << status.peer_node()
                 << ": make the change there (lbctl apply -f), or put the committed config back "
                    "with `lbctl config show --generation "
                 << generation << " > " << file
                 << "`. Nothing was reloaded; the daemons keep generation " << generation << "\n";
    context.exit_code = exit_code::failed;
    return false;
  }
  *context.out << file << " was edited by hand since generation " << generation
               << "; committing it:\n";
  commit_config(committed.config(), *on_disk, {.show_diff = true, .origin = "reload"}, context);
  return context.exit_code == exit_code::ok;
}

void run_reload(const std::string& what, cli_context& context) {
  context.exit_code = exit_code::ok;
  if (!committed_or_commit(context)) return;
  if (!reload<v1::Proxy>("proxyd", context) || what == "proxy") return;
  if (!reload<v1::Sync>("syncd", context)) return;
  reload<v1::Ha>("heartbeatd", context);
}

}  // namespace

void add_reload_command(CLI::App& app, cli_context& context) {
  auto what = std::make_shared<std::string>("all");
  auto* command = app.add_subcommand(
      "reload", "reload node.yaml and cluster.yaml into the daemons (hitless, no restart)");
  command
      ->add_option("WHAT", *what,
                   "all (default: proxyd, syncd, then heartbeatd) or proxy (proxyd alone)")
      ->check(CLI::IsMember({"all", "proxy"}));
  command->footer(
      "Open connections continue; new ones follow the reloaded config. Stops at the first\n"
      "daemon that refuses (exit 1, naming it).\n"
      "A cluster.yaml edited by hand (it differs from the committed generation it names) is\n"
      "committed as a new generation and replicated on the primary first; on the secondary\n"
      "the reload is refused, naming the difference, and nothing is reloaded.\n"
      "Example:\n  lbctl reload\n  lbctl reload proxy");
  command->callback([what, &context] { run_reload(*what, context); });
}

}  // namespace lbha::cli
