// lbctl drain|halt|online VIP_LABEL RIP_LABEL.
//
// Two steps, both by default:
//  1. at run time on this node: Proxy.SetRealServerState, no reload, so the
//     change takes effect at once (drain: no new clients; halt: connections closed);
//  2. persisted: the real server's `state` in cluster.yaml is changed and
//     committed through replicatord (generation + 1), so it survives a reload
//     or restart and reaches the peer. An operator who halts a server expects
//     it halted on both nodes, whichever one is active after a failover.
// --runtime-only skips step 2 (a quick local test; the next reload undoes it).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_edit.hpp"
#include "cli/daemon_calls.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

namespace {

struct state_options {
  std::string service;
  std::string server;
  bool runtime_only = false;
};

void run_set_state(v1::RealServerState state, const char* word, const state_options& options,
                   cli_context& context) {
  // The config is checked first, so an unknown label is one error before anything changes.
  std::optional<v1::ClusterConfig> config;
  v1::RealServer* target = nullptr;
  if (!options.runtime_only) {
    config = load_current_config(context);
    if (!config) return;
    auto* service = find_vip(*config, options.service);
    target = service ? find_rip(*service, options.server) : nullptr;
    if (target == nullptr) {
      *context.err << "lbctl: "
                   << (service ? unknown_rip(*service, options.server)
                               : unknown_vip(*config, options.service))
                   << "\n";
      context.exit_code = exit_code::failed;
      return;
    }
  }

  v1::SetRealServerStateRequest request;
  request.set_virtual_service(options.service);
  request.set_real_server(options.server);
  request.set_state(state);
  v1::ProxyResult reply;
  auto ctx = context_with_deadline(change_timeout);
  if (!rpc_ok(
          context, "proxyd",
          stub_for<v1::Proxy>(context, "proxyd")->SetRealServerState(ctx.get(), request, &reply))) {
    return;
  }
  if (!reply.ok()) {
    *context.err << "lbctl: " << reply.message() << "\n";
    context.exit_code = exit_code::failed;
    return;
  }
  if (!context.json) {
    *context.out << options.service << "/" << options.server << ": " << word
                 << " now on this node\n";
  }
  context.exit_code = exit_code::ok;
  if (options.runtime_only) return;
  const v1::ClusterConfig committed = *config;
  target->set_state(state);
  commit_config(committed, std::move(*config), {}, context);
}

void add_state_command(CLI::App& app, cli_context& context, const char* name,
                       v1::RealServerState state, const char* description, const char* effect) {
  auto options = std::make_shared<state_options>();
  auto* command = app.add_subcommand(name, description);
  command->add_option("VIP_LABEL", options->service, "virtual service label")->required();
  command->add_option("RIP_LABEL", options->server, "real server label")->required();
  command->add_flag("--runtime-only", options->runtime_only,
                    "change this node's proxy only; do not commit (undone by the next reload)");
  command->footer(std::string(effect) +
                  "\nApplied at once on this node without a reload, then committed to "
                  "cluster.yaml\nthrough the primary (generation + 1) so it holds on both "
                  "nodes and across reloads.\nExample:\n  lbctl " +
                  name + " DA_VIP DA1");
  command->callback(
      [options, &context, state, name] { run_set_state(state, name, *options, context); });
}

}  // namespace

void add_server_state_commands(CLI::App& app, cli_context& context) {
  add_state_command(app, context, "drain", v1::REAL_SERVER_STATE_DRAIN,
                    "drain a real server: no new clients, open and sticky ones continue",
                    "drain: new clients go elsewhere; existing connections and persistent "
                    "clients continue.");
  add_state_command(app, context, "halt", v1::REAL_SERVER_STATE_HALT,
                    "halt a real server: no traffic, open connections closed",
                    "halt: the real server takes no traffic; its open connections are closed.");
  add_state_command(app, context, "online", v1::REAL_SERVER_STATE_ONLINE,
                    "bring a drained or halted real server back online",
                    "online: the real server takes clients again once its check passes.");
}

}  // namespace lbha::cli
