// lbctl reload [all|proxy]: the seed's "Restart HAProxy" step, hitless.
//
// Every data daemon re-reads node.yaml and cluster.yaml through its one
// Reload (lbha.v1.ReloadRequest, the path SIGHUP takes): proxyd swaps its
// tables without dropping open connections, syncd adds and removes tables
// without dropping its peer sessions, heartbeatd follows the VIPs and
// timings. In the order a commit reloads them: proxyd, syncd, heartbeatd
// (replicator/pairing/local_daemons.hpp says why). The first daemon that
// refuses or does not answer stops the reload, named on stderr.
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
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

void run_reload(const std::string& what, cli_context& context) {
  context.exit_code = exit_code::ok;
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
      "Example:\n  lbctl reload\n  lbctl reload proxy");
  command->callback([what, &context] { run_reload(*what, context); });
}

}  // namespace lbha::cli
