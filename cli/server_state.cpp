#include "cli/server_state.hpp"

#include <optional>

#include "cli/config_commit.hpp"
#include "cli/config_edit.hpp"
#include "cli/daemon_calls.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

const char* state_word(v1::RealServerState state) {
  switch (state) {
    case v1::REAL_SERVER_STATE_DRAIN:
      return "drain";
    case v1::REAL_SERVER_STATE_HALT:
      return "halt";
    default:
      return "online";
  }
}

void set_real_server_state(const server_state_change& options, cli_context& context) {
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
  request.set_state(options.state);
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
    *context.out << options.service << "/" << options.server << ": " << state_word(options.state)
                 << " now on this node\n";
  }
  context.exit_code = exit_code::ok;
  if (options.runtime_only) return;
  const v1::ClusterConfig committed = *config;
  target->set_state(options.state);
  commit_config(committed, std::move(*config), {}, context);
}

}  // namespace lbha::cli
