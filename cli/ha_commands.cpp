// lbctl ha status, make-active [--force], make-passive: the front end of
// lbha-heartbeatd (lbha.v1.Ha on <run-dir>/heartbeatd.sock).
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/status_view.hpp"
#include "lbha/v1/ha.grpc.pb.h"

namespace lbha::cli {

namespace {

void run_ha_status(cli_context& context) {
  v1::HaStatus status;
  auto ctx = context_with_deadline(query_timeout);
  if (!rpc_ok(context, "heartbeatd",
              stub_for<v1::Ha>(context, "heartbeatd")
                  ->GetStatus(ctx.get(), v1::HaStatusRequest{}, &status))) {
    return;
  }
  context.exit_code = exit_code::ok;
  if (context.json) {
    *context.out << to_json(status);
    return;
  }
  *context.out << render_ha_text(status);
}

void report(const grpc::Status& rpc, const v1::HaResult& reply, cli_context& context) {
  if (!rpc_ok(context, "heartbeatd", rpc)) return;
  context.exit_code = reply.ok() ? exit_code::ok : exit_code::failed;
  if (context.json) {
    *context.out << to_json(reply);
    return;
  }
  (reply.ok() ? *context.out : *context.err)
      << (reply.ok() ? "" : "lbctl: ") << reply.message() << "\n";
}

}  // namespace

void add_ha_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand("ha", "the HA pair: roles, peer, heartbeat paths");
  group->require_subcommand(1);
  group->footer("Example:\n  lbctl ha status\n  lbctl --json ha status");
  auto* status = group->add_subcommand(
      "status", "role, term, peer, heartbeat paths, ping and proxy readiness, VIPs, counters");
  status->footer("Example:\n  lbctl ha status\n  lbctl --json ha status");
  status->callback([&context] { run_ha_status(context); });

  auto force = std::make_shared<bool>(false);
  auto* active =
      app.add_subcommand("make-active", "make this node active (the peer releases the VIPs first)");
  active->add_flag("--force", *force,
                   "take over even when the peer cannot be asked to release (it may be dead)");
  active->footer(
      "Without --force the peer is asked to go passive first, so the VIPs are never held twice.\n"
      "Example:\n  lbctl make-active\n  lbctl make-active --force");
  active->callback([force, &context] {
    v1::MakeActiveRequest request;
    request.set_force(*force);
    v1::HaResult reply;
    auto ctx = context_with_deadline(change_timeout);
    auto rpc = stub_for<v1::Ha>(context, "heartbeatd")->MakeActive(ctx.get(), request, &reply);
    report(rpc, reply, context);
  });

  auto* passive =
      app.add_subcommand("make-passive", "make this node passive (the peer takes over)");
  passive->footer("Example:\n  lbctl make-passive");
  passive->callback([&context] {
    v1::HaResult reply;
    auto ctx = context_with_deadline(change_timeout);
    auto rpc = stub_for<v1::Ha>(context, "heartbeatd")
                   ->MakePassive(ctx.get(), v1::MakePassiveRequest{}, &reply);
    report(rpc, reply, context);
  });
}

}  // namespace lbha::cli
