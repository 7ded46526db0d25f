// The commit path for lbctl's config changes (apply, vip, rip,
// drain/halt/online): read the committed cluster.yaml, let the command build
// the new config, validate it here so a bad value is one line naming it, show
// what changes (config_diff.hpp), then hand it to replicatord's Push, which
// assigns generation + 1, writes it atomically, reloads the daemons and
// replicates it to the secondary before answering. --dry-run stops after the
// diff: it needs no daemon and commits nothing.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cli/config_diff.hpp"
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

struct commit_options {
  bool dry_run = false;    // validate and show the diff; commit nothing
  bool show_diff = false;  // print the diff before committing (apply); dry runs always do
  std::string origin = "commit";  // for the history: commit, reload, restore
};

// The history's one line for a change: "+ DA_VIP; - OLD_VIP; 1 service changed;
// ha settings changed", or "no service changes".
std::string summarize_changes(const std::vector<config_change>& changes);

// check_config, the diff from `committed`, then Replication.Push. Prints one
// line per node (print_nodes) and "committed generation 8 on lb1 and lb2", or the daemon's
// account of what failed on stderr. With --json one document:
// {"changes": [...], "dry_run": bool, "result": lbha.v1.ReplicationResult | null}.
// Exit code: 0 committed and reloaded everywhere (or a valid dry run), 1
// invalid, refused or not on every node, 3 replicatord unreachable.
void commit_config(const v1::ClusterConfig& committed, v1::ClusterConfig config,
                   commit_options options, cli_context& context);

// Loads the committed config, applies `edit` to a copy (returning "" or a
// one-line error), and commits the result.
template <typename Edit>
void edit_and_commit(cli_context& context, bool dry_run, Edit edit) {
  auto committed = load_current_config(context);
  if (!committed) return;
  v1::ClusterConfig config = *committed;
  if (auto error = edit(config); !error.empty()) {
    *context.err << "lbctl: " << error << "\n";
    context.exit_code = exit_code::failed;
    return;
  }
  commit_config(*committed, std::move(config), {.dry_run = dry_run}, context);
}

// One line per node of a Replication result, with its own account (e.g.
// whether its daemons reloaded): "  lb2: ok (generation 8): applied generation 8; ...".
void print_nodes(const v1::ReplicationResult& result, std::ostream& out);

// The one-line summary of a push where every node took the config:
// "committed generation 8 on lb1 and lb2".
std::string describe_commit(const v1::ReplicationResult& result);

}  // namespace lbha::cli
