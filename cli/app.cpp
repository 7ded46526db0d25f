#include "cli/app.hpp"

#include <exception>
#include <filesystem>
#include <iostream>

#include "cli/commands.hpp"
#include "common/config/config.hpp"

namespace lbha::cli {

namespace {

void add_all_commands(CLI::App& app, cli_context& context) {
  add_config_commands(app, context);
  add_replication_commands(app, context);
  add_status_command(app, context);
  add_vip_commands(app, context);
  add_rip_commands(app, context);
  add_server_state_commands(app, context);
  add_reload_command(app, context);
  add_ha_commands(app, context);
  add_persistence_commands(app, context);
  add_sync_commands(app, context);
  add_version_command(app, context);
  add_help_command(app, context);
  add_completion_command(app, context);
}

// The directories the command line left out come from node.yaml, as for the
// daemons (common/node_directories.hpp), so lbctl reads the cluster.yaml and
// sockets of the node it runs on. No node.yaml: the built-in defaults.
void resolve_directories_from_node(const CLI::App& app, cli_context& context) {
  const bool given_run = app.get_option("--run-dir")->count() > 0;
  const bool given_state = app.get_option("--state-dir")->count() > 0;
  const bool given_config = app.get_option("--config-dir")->count() > 0;
  if (given_run && given_state && given_config) return;
  std::error_code ec;
  if (!std::filesystem::exists(context.node_config, ec)) return;
  auto node = config::load_node_config(context.node_config);
  if (!node) {
    // One line: the first problem (lbctl config validate --node lists them all).
    const auto message = node.error().message();
    *context.err << "lbctl: warning: " << message.substr(0, message.find('\n'))
                 << "; using the default directories\n";
    return;
  }
  const auto& dirs = node.value().directories();
  if (!given_run && !dirs.run_dir().empty()) context.run_dir = dirs.run_dir();
  if (!given_state && !dirs.state_dir().empty()) context.state_dir = dirs.state_dir();
  if (!given_config && !dirs.config_dir().empty()) context.config_dir = dirs.config_dir();
}

}  // namespace

void add_global_options(CLI::App& app, cli_context& context) {
  app.add_option("--run-dir", context.run_dir,
                 "directory of the daemons' gRPC sockets (default: node.yaml's, else /run/lbha)");
  app.add_option("--node-config", context.node_config, "node.yaml (local, never replicated)")
      ->default_str(default_node_config);
  app.add_option("--state-dir", context.state_dir,
                 "state directory (default: node.yaml's, else /var/lib/lbha)");
  app.add_option("--config-dir", context.config_dir,
                 "directory holding cluster.yaml (default: node.yaml's, else /etc/lbha)");
  app.add_flag("--json", context.json, "machine-readable JSON output on stdout");
}

int run_lbctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return run_lbctl(argc, argv, out, err, std::cin);
}

int run_lbctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
              std::istream& in) {
  cli_context context;
  context.out = &out;
  context.err = &err;
  context.in = &in;

  CLI::App app{"lbctl: operate an lbha load balancer pair", "lbctl"};
  app.footer(
      "Examples:\n"
      "  lbctl status\n"
      "  lbctl vip add IIS_VIP --ip 192.0.2.100 --ports 443 --persistence source_ip\n"
      "  lbctl rip add IIS_VIP IIS1 --ip 192.0.2.21 --weight 100\n"
      "  lbctl config validate /etc/lbha/cluster.yaml\n"
      "  lbctl --json config show\n"
      "Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 daemon unreachable.");
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  add_global_options(app, context);
  add_all_commands(app, context);
  // Runs after parsing, before the command's callback.
  app.parse_complete_callback([&app, &context] { resolve_directories_from_node(app, context); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? exit_code::ok : exit_code::usage;
  } catch (const std::exception& e) {
    err << "lbctl: " << e.what() << "\n";
    return exit_code::failed;
  }
  return context.exit_code;
}

}  // namespace lbha::cli
