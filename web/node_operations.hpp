// node_operations: what the WebUI asks of this node, behind one seam.
//
// lbha-webd uses cli_operations, which calls lbctl's own library (the same
// gathering `lbctl status` does, the same path `lbctl drain|halt|online`
// takes), so a change made in the browser commits, replicates and fails
// exactly as it would from lbctl. Tests use a double with fixed status
// messages. Both calls block on gRPC: call them off the io thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/server_state.hpp"
#include "cli/status_view.hpp"
#include "web/metrics.hpp"

namespace lbha::web {

class node_operations {
 public:
  virtual ~node_operations() = default;

  virtual cli::overview read_overview() = 0;
  // The whole node at once (metrics_source.hpp): what /metrics and the High
  // Availability page show.
  virtual node_read read_node() = 0;

  struct outcome {
    bool ok = false;
    std::string message;  // what lbctl would have printed (stdout, then stderr)
  };
  virtual outcome set_real_server_state(const cli::server_state_change& change) = 0;

  // What a command printed and how it ended: an lbctl run in process, or journalctl.
  struct command_run {
    int exit_code = 0;  // cli/exit_codes.hpp
    std::string out;
    std::string err;
    bool ok() const { return exit_code == 0; }
    std::string text() const { return out + err; }
  };
  // `lbctl <args>` run in process (cli/app.hpp) with this node's directories:
  // every change form and HA button of the WebUI is one.
  virtual command_run run_lbctl(const std::vector<std::string>& args) = 0;

  // `lbctl pair --peer P --expect-fingerprint F --password-file <the password>
  // --lock-password|--keep-password`: the password never touches a disk.
  struct pair_request {
    std::string peer;
    std::string fingerprint;
    std::string password;
    bool lock_password = true;
  };
  virtual command_run pair(const pair_request& request) = 0;

  // View Configuration: `lbctl config show` (the committed cluster.yaml) and
  // `lbctl config show --node <node.yaml>`, every default filled in.
  struct configuration_view {
    command_run cluster;
    command_run node;
  };
  virtual configuration_view read_configuration() = 0;

  // Logs: the last `lines` journal lines of lbha-<daemon>.service at
  // `priority` (journalctl -p: emerg..debug) or more urgent, oldest first.
  struct log_query {
    std::string daemon;  // heartbeatd | proxyd | syncd | replicatord | webd
    std::string priority = "info";
    int lines = 200;
  };
  virtual command_run read_logs(const log_query& query) = 0;

  // The committed cluster.yaml (an empty config on a fresh node), or why it
  // could not be read.
  struct config_read {
    std::optional<v1::ClusterConfig> config;
    std::string error;
  };
  virtual config_read read_cluster_config() = 0;
};

}  // namespace lbha::web
