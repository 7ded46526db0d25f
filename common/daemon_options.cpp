#include "common/daemon_options.hpp"

#include <iostream>

#include "common/logging.hpp"

namespace lbha {

void add_daemon_options(CLI::App& app, daemon_options& options) {
  app.add_option("--node-config", options.node_config, "node.yaml (local, never replicated)")
      ->capture_default_str();
  app.add_option("--state-dir", options.state_dir, "state directory (default from node.yaml, else /var/lib/lbha)");
  app.add_option("--run-dir", options.run_dir, "directory of the gRPC sockets (default from node.yaml, else /run/lbha)");
  app.add_option("--log-level", options.log_level,
                 "trace|debug|info|warn|error|critical|off (default node.yaml's log_level, "
                 "else info)");
  app.add_flag("--check", options.check,
               "validate node.yaml and cluster.yaml (errors with file, line and key on stderr), "
               "open nothing, exit 0 when valid, else 1");
}

bool apply_log_level(const daemon_options& options, const std::string& configured) {
  const std::string text = !options.log_level.empty() ? options.log_level
                            : !configured.empty()      ? configured
                                                       : std::string("info");
  spdlog::level::level_enum level;
  if (!parse_log_level(text, level)) {
    std::cerr << "invalid log level '" << text
              << "': expected trace|debug|info|warn|error|critical|off\n";
    return false;
  }
  set_log_level(level);
  return true;
}

}  // namespace lbha
