// The command-line options every lbha daemon and lbctl share.
//
// --node-config, --state-dir and --run-dir let several nodes run side by side
// in the lab; --log-level sets every logger. Values given on the command line
// win over node.yaml, which wins over the built-in defaults.
#pragma once

#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

namespace lbha {

inline constexpr const char* default_node_config = "/etc/lbha/node.yaml";
inline constexpr const char* default_config_dir = "/etc/lbha";
inline constexpr const char* default_state_dir = "/var/lib/lbha";
inline constexpr const char* default_run_dir = "/run/lbha";

struct daemon_options {
  std::filesystem::path node_config = default_node_config;
  std::filesystem::path state_dir;  // empty = node.yaml's, else default_state_dir
  std::filesystem::path run_dir;    // empty = node.yaml's, else default_run_dir
  std::string log_level;             // empty = node.yaml's log_level, else info
  bool check = false;                // --check: validate the files, run nothing
  std::string user;                  // --user: run as this user once started (empty: stay)
};

// Adds --node-config, --state-dir, --run-dir, --log-level and --check to `app`.
void add_daemon_options(CLI::App& app, daemon_options& options);

// Sets every logger to --log-level when it was given, else to `configured`
// (node.yaml's log_level), else info. False (and a message on stderr) when invalid.
bool apply_log_level(const daemon_options& options, const std::string& configured = "");

}  // namespace lbha
