// lbctl's command groups. Each group lives in its own <group>_commands.cpp
// and registers its subcommands on the top-level app through one function
// declared here; run_lbctl() (app.cpp) calls each of them, one line per group.
//
// To add a group: write cli/<group>_commands.cpp defining
// `void add_<group>_commands(CLI::App&, cli_context&)`, declare it below and
// add one call in app.cpp's add_all_commands(). The CMakeLists picks up the
// new file by itself. Give every subcommand a footer with an example.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/context.hpp"

namespace lbha::cli {

// --run-dir, --node-config, --state-dir, --config-dir, --json.
void add_global_options(CLI::App& app, cli_context& context);

// config validate FILE, config show [FILE] (config_commands.cpp).
void add_config_commands(CLI::App& app, cli_context& context);

// pair, unpair, apply -f FILE, replication status (replication_commands.cpp).
void add_replication_commands(CLI::App& app, cli_context& context);

// version (version_command.cpp).
void add_version_command(CLI::App& app, cli_context& context);

}  // namespace lbha::cli
