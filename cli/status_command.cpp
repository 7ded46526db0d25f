// lbctl status [--watch [--interval 2s]]: the System Overview.
//
// Asks heartbeatd (role, peer) and proxyd (services, real servers, health)
// at the same time, each with an 80 ms deadline, so the command answers in
// under 100 ms even when a daemon hangs. What could be read is printed; a
// daemon that did not answer shows as unreachable. Exit code: 0 when both
// answered, 1 when only one did (the overview is incomplete), 3 when neither
// did (nothing to show: the daemons are not running).
#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/status_view.hpp"
#include "cli/transparent_routing.hpp"
#include "common/config/config.hpp"
#include "common/config/values.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

namespace {

overview read_overview(const cli_context& context) {
  overview view;
  auto ha = std::async(std::launch::async, [&context] {
    v1::HaStatus status;
    auto ctx = context_with_deadline(query_timeout);
    auto rpc = stub_for<v1::Ha>(context, "heartbeatd")
                   ->GetStatus(ctx.get(), v1::HaStatusRequest{}, &status);
    return std::make_pair(rpc, status);
  });
  {
    v1::ProxyStatus status;
    auto ctx = context_with_deadline(query_timeout);
    auto rpc = stub_for<v1::Proxy>(context, "proxyd")
                   ->GetStatus(ctx.get(), v1::ProxyStatusRequest{}, &status);
    if (rpc.ok()) {
      view.proxy = std::move(status);
    } else {
      view.proxy_error = rpc_failure(context, "proxyd", rpc);
    }
  }
  auto [rpc, status] = ha.get();
  if (rpc.ok()) {
    view.ha = std::move(status);
  } else {
    view.ha_error = rpc_failure(context, "heartbeatd", rpc);
  }
  // Settings shown beside the counters; a missing or broken file only hides them.
  auto loaded = config::load_cluster_config(context.config_dir / "cluster.yaml");
  if (loaded) view.config = std::move(loaded).value();
  if (view.config) view.warnings = transparent_routing_warnings(*view.config, run_ip);
  return view;
}

int exit_code_of(const overview& view) {
  if (view.ha && view.proxy) return exit_code::ok;
  return (view.ha || view.proxy) ? exit_code::failed : exit_code::unreachable;
}

void show(const overview& view, cli_context& context) {
  *context.out << (context.json ? render_overview_json(view)
                                : render_overview_text(view, use_color(context)));
  context.out->flush();
  context.exit_code = exit_code_of(view);
}

struct status_options {
  bool watch = false;
  std::string interval = "2s";
};

void run_status(const status_options& options, cli_context& context) {
  if (!options.watch) {
    show(read_overview(context), context);
    return;
  }
  const auto interval = config::parse_duration_ms(options.interval);
  if (!interval.ms || *interval.ms == 0) {
    *context.err << "lbctl: invalid --interval " << options.interval << ": "
                 << (interval.ms ? "must be > 0" : interval.error) << "\n";
    context.exit_code = exit_code::usage;
    return;
  }
  const bool clear = use_color(context);
  for (;;) {  // until Ctrl-C
    const auto view = read_overview(context);
    if (clear) *context.out << "\033[H\033[2J";
    show(view, context);
    if (!context.json) *context.out << "\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(*interval.ms));
  }
}

}  // namespace

void add_status_command(CLI::App& app, cli_context& context) {
  auto options = std::make_shared<status_options>();
  auto* status = app.add_subcommand(
      "status", "System Overview: role, peer, virtual services and real servers with health");
  status->add_flag("-w,--watch", options->watch, "refresh until interrupted");
  status->add_option("--interval", options->interval, "refresh interval with --watch")
      ->default_str("2s");
  status->footer(
      "STATE: a virtual service is up (every serving real server healthy), degraded or down;\n"
      "a real server is up, down (failing its check), drain or halt.\n"
      "--json prints {\"schema\": \"lbha.status.v1\", \"ha\": lbha.v1.HaStatus, \"ha_error\",\n"
      "\"proxy\": lbha.v1.ProxyStatus, \"proxy_error\"} (proto field names, all fields).\n"
      "Exit codes: 0 both daemons answered, 1 only one did, 3 neither did.\n"
      "Examples:\n  lbctl status\n  lbctl status --watch --interval 1s\n  lbctl --json status");
  status->callback([options, &context] { run_status(*options, context); });
}

}  // namespace lbha::cli
