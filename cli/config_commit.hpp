// The commit path for lbctl's config edits (vip, rip, drain/halt/online):
// read the current cluster.yaml, let the command edit it, validate it here so
// a bad value is one line naming it, then hand it to replicatord's Push,
// which assigns generation + 1, writes it atomically, reloads the daemons and
// replicates it to the secondary before answering.
#pragma once

#include <optional>
#include <ostream>
#include <string>

#include "cli/context.hpp"
#include "lbha/v1/config.pb.h"
#include "lbha/v1/replication.pb.h"

namespace lbha::cli {

// <config-dir>/cluster.yaml as committed (an empty config on a fresh node
// without one); nullopt (errors printed, exit code 1) when it is invalid.
std::optional<v1::ClusterConfig> load_current_config(cli_context& context);

// Fills defaults and validates `config`; prints each error on one line and
// sets exit code 1 when invalid.
bool check_config(v1::ClusterConfig& config, cli_context& context);

// check_config, then Replication.Push. Prints "committed generation N on lb1
// and lb2" (or each node's failure) and sets the exit code: 0 committed
// everywhere, 1 refused or not on every node, 3 replicatord unreachable.
void commit_config(v1::ClusterConfig config, bool dry_run, cli_context& context);

// Loads the current config, applies `edit` (returning "" or a one-line
// error), and commits the result.
template <typename Edit>
void edit_and_commit(cli_context& context, bool dry_run, Edit edit) {
  auto config = load_current_config(context);
  if (!config) return;
  if (auto error = edit(*config); !error.empty()) {
    *context.err << "lbctl: " << error << "\n";
    context.exit_code = exit_code::failed;
    return;
  }
  commit_config(std::move(*config), dry_run, context);
}

// The one-line summary of a push result: "committed generation 8 on lb1 and lb2".
std::string describe_commit(const v1::ReplicationResult& result);

}  // namespace lbha::cli
