// lbctl status [--watch [--interval 2s]]: the System Overview.
//
// Asks heartbeatd (role, peer) and proxyd (services, real servers, health)
// at the same time, each with query_timeout (cli/status_read.hpp), so the
// command answers within one deadline even when a daemon hangs. What could
// be read is printed; a daemon that did not answer shows as unreachable.
// Exit code: 0 when both answered, 1 when only one did (the overview is
// incomplete), 3 when neither did (nothing to show: the daemons are not
// running).
#include <chrono>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/status_read.hpp"
#include "cli/status_view.hpp"
#include "common/config/values.hpp"

namespace lbha::cli {

namespace {

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
