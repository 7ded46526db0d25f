#include "common/node_directories.hpp"

namespace lbha {

namespace {

std::filesystem::path pick(const std::filesystem::path& flag, const std::string& from_node,
                           const char* fallback) {
  if (!flag.empty()) return flag;
  if (!from_node.empty()) return from_node;
  return fallback;
}

}  // namespace

node_directories resolve_directories(const daemon_options& options,
                                     const lbha::v1::NodeConfig& node) {
  const auto& dirs = node.directories();
  return {
      .config_dir = pick({}, dirs.config_dir(), default_config_dir),
      .state_dir = pick(options.state_dir, dirs.state_dir(), default_state_dir),
      .run_dir = pick(options.run_dir, dirs.run_dir(), default_run_dir),
  };
}

}  // namespace lbha
