// lbctl reload [proxy|all]: the seed's "Restart HAProxy" step, hitless.
//
// proxyd re-reads cluster.yaml and swaps its tables without dropping open
// connections; `all` also has heartbeatd re-read it (VIPs, timings).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

namespace {

// Prints "<daemon>: reloaded" or the failure; false on failure.
template <typename Reply>
bool report(const char* daemon, const grpc::Status& rpc, const Reply& reply, cli_context& context) {
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
  {
    v1::ProxyResult reply;
    auto ctx = context_with_deadline(change_timeout);
    auto rpc =
        stub_for<v1::Proxy>(context, "proxyd")->Reload(ctx.get(), v1::ProxyReloadRequest{}, &reply);
    if (!report("proxyd", rpc, reply, context)) return;
  }
  if (what != "all") return;
  v1::HaResult reply;
  auto ctx = context_with_deadline(change_timeout);
  auto rpc =
      stub_for<v1::Ha>(context, "heartbeatd")->Reload(ctx.get(), v1::HaReloadRequest{}, &reply);
  report("heartbeatd", rpc, reply, context);
}

}  // namespace

void add_reload_command(CLI::App& app, cli_context& context) {
  auto what = std::make_shared<std::string>("proxy");
  auto* reload =
      app.add_subcommand("reload", "reload cluster.yaml into the daemons (hitless, no restart)");
  reload->add_option("WHAT", *what, "proxy (default) or all (proxy and heartbeat)")
      ->check(CLI::IsMember({"proxy", "all"}));
  reload->footer(
      "Open connections continue; new ones follow the reloaded config.\n"
      "Example:\n  lbctl reload\n  lbctl reload all");
  reload->callback([what, &context] { run_reload(*what, context); });
}

}  // namespace lbha::cli
