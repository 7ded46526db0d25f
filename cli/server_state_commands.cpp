// lbctl drain|halt|online VIP_LABEL RIP_LABEL: the command line over
// set_real_server_state (cli/server_state.hpp), which lbha-webd calls too.
// --runtime-only skips the commit (a quick local test; the next reload undoes it).
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/server_state.hpp"

namespace lbha::cli {

namespace {

void add_state_command(CLI::App& app, cli_context& context, const char* name,
                       v1::RealServerState state, const char* description, const char* effect) {
  auto options = std::make_shared<server_state_change>();
  options->state = state;
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
  command->callback([options, &context] { set_real_server_state(*options, context); });
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
