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
#include <cstdint>
#include <string>

#include "cli/context.hpp"

namespace lbha::cli {

// --run-dir, --node-config, --state-dir, --config-dir, --json.
void add_global_options(CLI::App& app, cli_context& context);

// config validate FILE, config show [FILE], config diff [FILE] (config_commands.cpp).
void add_config_commands(CLI::App& app, cli_context& context);

// config history, rollback N, and show's --generation N on `show`
// (config_history_commands.cpp); add_config_commands calls it.
void add_config_history_commands(CLI::App& group, CLI::App& show, std::uint64_t& show_generation,
                                 cli_context& context);
// config backup FILE / restore FILE (backup_commands.cpp); add_config_commands calls it.
void add_config_backup_commands(CLI::App& group, cli_context& context);
// `config show --generation N`: prints generation N when it is set (non-zero).
void show_generation_if_asked(std::uint64_t generation, bool& handled, cli_context& context);

// pair, unpair, apply -f FILE, replication status / take-over (replication_commands.cpp).
void add_replication_commands(CLI::App& app, cli_context& context);

// status [--watch]: the System Overview (status_command.cpp).
void add_status_command(CLI::App& app, cli_context& context);

// vip add|modify|delete|list (vip_commands.cpp).
void add_vip_commands(CLI::App& app, cli_context& context);

// rip add|modify|delete|list VIP_LABEL (rip_commands.cpp).
void add_rip_commands(CLI::App& app, cli_context& context);

// drain|halt|online VIP_LABEL RIP_LABEL (server_state_commands.cpp).
void add_server_state_commands(CLI::App& app, cli_context& context);

// reload [proxy|all] (reload_command.cpp).
void add_reload_command(CLI::App& app, cli_context& context);

// ha status, make-active [--force], make-passive (ha_commands.cpp).
void add_ha_commands(CLI::App& app, cli_context& context);

// persistence show [--service NAME]: proxyd's stick table (persistence_command.cpp).
void add_persistence_commands(CLI::App& app, cli_context& context);

// sync status: syncd's sessions and the peers port's refusals (sync_commands.cpp).
void add_sync_commands(CLI::App& app, cli_context& context);

// help [COMMAND...] (completion_command.cpp).
void add_help_command(CLI::App& app, cli_context& context);

// completion bash (completion_command.cpp): register it last, so the script
// it prints covers every command.
void add_completion_command(CLI::App& app, cli_context& context);

// The bash completion script for `app`'s whole command tree.
std::string bash_completion_script(const CLI::App& app);

// version (version_command.cpp).
void add_version_command(CLI::App& app, cli_context& context);

}  // namespace lbha::cli
