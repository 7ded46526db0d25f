#include "cli/app.hpp"

#include <exception>

#include "cli/commands.hpp"

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
  add_version_command(app, context);
  add_help_command(app, context);
  add_completion_command(app, context);
}

}  // namespace

void add_global_options(CLI::App& app, cli_context& context) {
  app.add_option("--run-dir", context.run_dir, "directory of the daemons' gRPC sockets")
      ->default_str(default_run_dir);
  app.add_option("--node-config", context.node_config, "node.yaml (local, never replicated)")
      ->default_str(default_node_config);
  app.add_option("--state-dir", context.state_dir, "state directory")
      ->default_str(default_state_dir);
  app.add_option("--config-dir", context.config_dir, "directory holding cluster.yaml")
      ->default_str(default_config_dir);
  app.add_flag("--json", context.json, "machine-readable JSON output on stdout");
}

int run_lbctl(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  cli_context context;
  context.out = &out;
  context.err = &err;

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
