#include "cli/config_commit.hpp"

#include <filesystem>

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
  if (!loaded.ok()) {
    print_errors(*context.err, loaded.errors);
    *context.err << "lbctl: the current config is unreadable; fix it or use lbctl apply -f\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return std::move(*loaded.value);
}

bool check_config(v1::ClusterConfig& config, cli_context& context) {
  config::apply_defaults(config);
  const auto errors = config::validate(config);
  if (errors.empty()) return true;
  for (const auto& error : errors) *context.err << "lbctl: " << error.to_string() << "\n";
  context.exit_code = exit_code::failed;
  return false;
}

std::string describe_commit(const v1::ReplicationResult& result) {
  std::string ok_nodes;
  uint64_t generation = 0;
  int ok_count = 0;
  for (const auto& node : result.nodes()) {
    if (!node.ok()) continue;
    generation = std::max(generation, node.generation());
    ok_nodes += (ok_count == 0 ? "" : " and ") + node.node();
    ++ok_count;
  }
  if (!result.ok() || ok_count == 0) return "not committed: " + result.message();
  return "committed generation " + std::to_string(generation) + " on " + ok_nodes;
}

void commit_config(v1::ClusterConfig config, bool dry_run, cli_context& context) {
  if (!check_config(config, context)) return;
  v1::PushRequest request;
  *request.mutable_config() = std::move(config);
  request.set_dry_run(dry_run);
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  if (!rpc_ok(
          context, "replicatord",
          stub_for<v1::Replication>(context, "replicatord")->Push(ctx.get(), request, &result))) {
    return;
  }
  bool everywhere = result.ok();
  for (const auto& node : result.nodes()) everywhere = everywhere && node.ok();
  context.exit_code = everywhere ? exit_code::ok : exit_code::failed;
  if (context.json) {
    *context.out << to_json(result);
    return;
  }
  if (dry_run) {
    *context.out << (result.ok() ? "valid; nothing committed (--dry-run)"
                                 : "refused: " + result.message())
                 << "\n";
    return;
  }
  for (const auto& node : result.nodes()) {
    if (!node.ok())
      *context.err << "lbctl: " << node.node() << ": FAILED: " << node.message() << "\n";
  }
  (everywhere ? *context.out : *context.err) << describe_commit(result) << "\n";
}

}  // namespace lbha::cli
