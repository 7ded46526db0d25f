// lbctl config history / show --generation N / rollback N: the committed
// generations replicatord keeps in <state-dir>/history (the last 50; the
// appliance's "View Configuration" with its past versions).
//
// history and show read through replicatord (lbha.v1.Replication History and
// GetGeneration); rollback is a commit like any other (Rollback: validated,
// generation + 1, replicated, refused on a secondary), whose content is the
// kept generation's.
#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_diff.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/render.hpp"
#include "common/config/config.hpp"
#include "lbha/v1/replication.grpc.pb.h"

namespace lbha::cli {

namespace {

constexpr std::chrono::milliseconds read_timeout{5000};

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text.append(width - text.size(), ' ');
  return text;
}

void run_history(cli_context& context) {
  v1::HistoryReply reply;
  auto ctx = context_with_deadline(read_timeout);
  auto rpc = stub_for<v1::Replication>(context, "replicatord")
                 ->History(ctx.get(), v1::HistoryRequest{}, &reply);
  if (!rpc_ok(context, "replicatord", rpc)) return;
  context.exit_code = exit_code::ok;
  for (const auto& problem : reply.problems()) *context.err << "lbctl: " << problem << "\n";
  if (context.json) {
    *context.out << to_json(reply);
    return;
  }
  if (reply.entries_size() == 0) {
    *context.out << "no generations kept yet (the history starts with the next commit)\n";
    return;
  }
  *context.out << pad("GENERATION", 12) << pad("TERM", 6) << pad("TIME", 22) << pad("ORIGIN", 20)
               << "CHANGE\n";
  for (auto it = reply.entries().rbegin(); it != reply.entries().rend(); ++it) {
    std::string generation = std::to_string(it->generation());
    if (it->generation() == reply.current_generation()) generation += " *";
    *context.out << pad(generation, 12) << pad(std::to_string(it->term()), 6) << pad(it->at(), 22)
                 << pad(it->origin(), 20) << (it->summary().empty() ? "-" : it->summary()) << "\n";
  }
  *context.out << "* in force (generation " << reply.current_generation() << ")\n";
}

std::optional<v1::ClusterConfig> fetch_generation(std::uint64_t generation, cli_context& context) {
  v1::GenerationRequest request;
  request.set_generation(generation);
  v1::GenerationReply reply;
  auto ctx = context_with_deadline(read_timeout);
  auto rpc =
      stub_for<v1::Replication>(context, "replicatord")->GetGeneration(ctx.get(), request, &reply);
  if (!rpc_ok(context, "replicatord", rpc)) return std::nullopt;
  if (!reply.ok()) {
    *context.err << "lbctl: " << reply.message() << "\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return reply.config();
}

void run_show_generation(std::uint64_t generation, cli_context& context) {
  auto config = fetch_generation(generation, context);
  if (!config) return;
  context.exit_code = exit_code::ok;
  if (!context.json) {
    *context.out << config::to_yaml(*config);
    return;
  }
  google::protobuf::util::JsonPrintOptions json;
  json.add_whitespace = true;
  json.always_print_primitive_fields = true;
  json.preserve_proto_field_names = true;
  std::string text;
  (void)google::protobuf::util::MessageToJsonString(*config, &text, json);
  *context.out << text;
}

struct rollback_options {
  std::uint64_t generation = 0;
  bool dry_run = false;
};

void run_rollback(const rollback_options& options, cli_context& context) {
  // The diff first, so the operator sees what the rollback changes.
  auto committed = load_current_config(context);
  if (!committed) return;
  auto target = fetch_generation(options.generation, context);
  if (!target) return;
  const auto changes = diff_configs(*committed, *target);
  if (!context.json) {
    *context.out << "--- generation " << committed->generation() << " (in force)\n"
                 << "+++ generation " << options.generation << "\n"
                 << render_diff(changes);
  }
  v1::RollbackRequest request;
  request.set_generation(options.generation);
  request.set_dry_run(options.dry_run);
  v1::ReplicationResult result;
  auto ctx = context_with_deadline(commit_timeout);
  auto rpc =
      stub_for<v1::Replication>(context, "replicatord")->Rollback(ctx.get(), request, &result);
  if (!rpc_ok(context, "replicatord", rpc)) return;
  bool everywhere = result.ok();
  for (const auto& node : result.nodes()) everywhere = everywhere && node.ok();
  context.exit_code = everywhere ? exit_code::ok : exit_code::failed;
  if (context.json) {
    *context.out << "{\"changes\": " << diff_json(changes)
                 << ", \"dry_run\": " << (options.dry_run ? "true" : "false")
                 << ", \"result\": " << to_json(result) << "}\n";
    return;
  }
  print_nodes(result, *context.out);
  if (options.dry_run && result.ok()) {
    *context.out << result.message() << "; nothing committed (--dry-run)\n";
  } else if (everywhere) {
    *context.out << "rolled back to the content of generation " << options.generation << ": "
                 << describe_commit(result) << "\n";
  } else {
    *context.err << "lbctl: " << (result.nodes_size() == 0 ? "not committed: " : "")
                 << result.message() << "\n";
  }
}

}  // namespace

void add_config_history_commands(CLI::App& group, CLI::App& show, std::uint64_t& show_generation,
                                 cli_context& context) {
  auto* history = group.add_subcommand(
      "history", "the committed generations this node keeps (the last 50), newest first");
  history->footer(
      "Columns: generation (* = in force), term, time (UTC), origin (commit, rollback,\n"
      "take-over, reload, restore, pushed_by_<primary>, ...) and the services it changed.\n"
      "An entry that cannot be read is skipped and named on stderr.\n"
      "Example:\n  lbctl config history\n  lbctl --json config history");
  history->callback([&context] { run_history(context); });

  show.add_option("--generation", show_generation,
                  "show a committed generation from the history instead of a file");

  auto options = std::make_shared<rollback_options>();
  auto* rollback = group.add_subcommand(
      "rollback", "commit a kept generation's content again, as a new generation");
  rollback->add_option("GENERATION", options->generation, "the generation to go back to")
      ->required();
  rollback->add_flag("--dry-run", options->dry_run, "show the diff and validate; commit nothing");
  rollback->footer(
      "A normal commit: validated, generation + 1, replicated to the secondary, and\n"
      "refused on a secondary (roll back on the primary). The history keeps both.\n"
      "Example:\n  lbctl config history\n  lbctl config rollback 41 --dry-run\n"
      "  lbctl config rollback 41");
  rollback->callback([options, &context] { run_rollback(*options, context); });
}

void show_generation_if_asked(std::uint64_t generation, bool& handled, cli_context& context) {
  handled = generation != 0;
  if (handled) run_show_generation(generation, context);
}

}  // namespace lbha::cli
