// cli_operations: node_operations over lbctl's library (cli/status_read.hpp,
// cli/server_state.hpp) with this node's directories from node.yaml.
#pragma once

#include "cli/context.hpp"
#include "web/node_operations.hpp"

namespace lbha::web {

class cli_operations final : public node_operations {
 public:
  // `paths`: run_dir, config_dir, state_dir and node_config; its streams are not used.
  explicit cli_operations(cli::cli_context paths) : paths_(std::move(paths)) {}

  cli::overview read_overview() override;
  outcome set_real_server_state(const cli::server_state_change& change) override;

 private:
  cli::cli_context paths_;
};

}  // namespace lbha::web
