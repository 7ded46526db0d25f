#include "cli/config_commit.hpp"

#include <filesystem>
#include <set>

#include "cli/config_diff.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/render.hpp"
#include "common/config/config.hpp"
#include "lbha/v1/replication.grpc.pb.h"

namespace lbha::cli {

std::optional<v1::ClusterConfig> load_current_config(cli_context& context) {
  const auto file = context.config_dir / "cluster.yaml";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec) && !ec) {
    v1::ClusterConfig empty;  // a fresh node: the first `vip add` creates the file
    config::apply_defaults(empty);
    return empty;
  }
  auto loaded = config::load_cluster_config(file);
  if (!loaded) {
    *context.err << loaded.error().message() << "\n";
    *context.err << "lbctl: the current config is unreadable; fix it or use lbctl apply -f\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return std::move(loaded).value();
}

bool check_config(v1::ClusterConfig& config, cli_context& context) {
  config::apply_defaults(config);
  const auto errors = config::validate(config);
  if (errors.empty()) return true;
  for (const auto& error : errors) *context.err << "lbctl: " << error.to_string() << "\n";
  context.exit_code = exit_code::failed;
  return false;
}

void print_nodes(const v1::ReplicationResult& result, std::ostream& out) {
  for (const auto& node : result.nodes()) {
    out << "  " << node.node() << ": " << (node.ok() ? "ok" : "FAILED");
    if (node.generation() != 0) out << " (generation " << node.generation() << ")";
    out << (node.message().empty() ? "" : ": " + node.message()) << "\n";
  }
}

std::string describe_commit(const v1::ReplicationResult& result) {
  std::string nodes;
  uint64_t generation = 0;
  for (const auto& node : result.nodes()) {
    generation = std::max(generation, node.generation());
    nodes += (nodes.empty() ? "" : " and ") + node.node();
  }
  return "committed generation " + std::to_string(generation) + " on " + nodes +
         (result.nodes_size() == 1 ? " only (not paired: nothing to replicate)" : "");
}

std::string summarize_changes(const std::vector<config_change>& changes) {
  std::string added, removed;
  std::set<std::string> changed, added_names;
  bool ha = false;
  for (const auto& change : changes) {
    if (change.virtual_service.empty()) {
      ha = true;
    } else if (change.real_server.empty() && change.key.empty() &&
               change.what != config_change::kind::changed) {
      if (change.what == config_change::kind::added) added_names.insert(change.virtual_service);
      auto& list = change.what == config_change::kind::added ? added : removed;
      list.append(list.empty() ? (&list == &added ? "+ " : "- ") : ", ")
          .append(change.virtual_service);
    } else {
      changed.insert(change.virtual_service);
    }
  }
  std::vector<std::string> parts;
  if (!added.empty()) parts.push_back(added);
  if (!removed.empty()) parts.push_back(removed);
  // Fields of an added service come with it; only services that existed before count.
  std::size_t modified = 0;
  for (const auto& name : changed) modified += added_names.contains(name) ? 0 : 1;
  if (modified > 0) {
    parts.push_back(std::to_string(modified) +
                    (modified == 1 ? " service changed" : " services changed"));
  }
  if (ha) parts.push_back("ha settings changed");
  std::string summary;
  for (const auto& part : parts) {
    if (!summary.empty()) summary.append("; ");
    summary.append(part);
  }
  return summary.empty() ? "no service changes" : summary;
}

void commit_config(const v1::ClusterConfig& committed, v1::ClusterConfig config,
                   commit_options options, cli_context& context) {
  if (!check_config(config, context)) return;
  const auto changes = diff_configs(committed, config);
  if (options.dry_run) {
    context.exit_code = exit_code::ok;
    if (context.json) {
      *context.out << "{\"changes\": " << diff_json(changes)
                   << ", \"dry_run\": true, \"result\": null}\n";
    } else {
      *context.out << render_diff(changes) << "valid; nothing committed (--dry-run)\n";
    }
    return;
  }
  if (options.show_diff && !context.json) *context.out << render_diff(changes);

  v1::PushRequest request;
  *request.mutable_config() = std::move(config);
  request.set_origin(options.origin);
  request.set_summary(summarize_changes(changes));
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  if (!rpc_ok(
          context, "replicatord",
          stub_for<v1::Replication>(context, "replicatord")->Push(ctx.get(), request, &result))) {
    return;
  }
  bool everywhere = result.ok() && result.nodes_size() > 0;
  for (const auto& node : result.nodes()) everywhere = everywhere && node.ok();
  context.exit_code = everywhere ? exit_code::ok : exit_code::failed;
  if (context.json) {
    *context.out << "{\"changes\": " << diff_json(changes)
                 << ", \"dry_run\": false, \"result\": " << to_json(result) << "}\n";
    return;
  }
  print_nodes(result, *context.out);
  if (everywhere) {
    *context.out << describe_commit(result) << "\n";
  } else {
    *context.err << "lbctl: " << (result.nodes_size() == 0 ? "not committed: " : "")
                 << result.message() << "\n";
  }
}

}  // namespace lbha::cli
