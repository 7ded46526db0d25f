// cli_operations: node_operations over lbctl's library (cli/status_read.hpp,
// cli/server_state.hpp, cli/app.hpp's whole lbctl) with this node's
// directories from node.yaml.
#pragma once

#include "cli/context.hpp"
#include "web/node_operations.hpp"

namespace lbha::web {

class cli_operations final : public node_operations {
 public:
  // `paths`: run_dir, config_dir, state_dir and node_config; its streams are not used.
  explicit cli_operations(cli::cli_context paths) : paths_(std::move(paths)) {}

  cli::overview read_overview() override;
  node_read read_node() override;
  outcome set_real_server_state(const cli::server_state_change& change) override;
  command_run run_lbctl(const std::vector<std::string>& args) override;
  command_run pair(const pair_request& request) override;
  configuration_view read_configuration() override;
  command_run read_logs(const log_query& query) override;
  config_read read_cluster_config() override;

 private:
  cli::cli_context paths_;
};

}  // namespace lbha::web
