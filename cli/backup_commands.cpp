// lbctl config backup FILE / config restore FILE: the appliance's
// "Maintenance > Backup & Restore". The bundle (config_bundle.hpp) holds the
// replicated cluster.yaml with its generation and term and, apart from it,
// this node's own files: node.yaml always; the pairing state and its keys
// only with --include-keys, and then the file is written 0600.
//
// restore checks the whole bundle before writing anything. The cluster part
// goes in as a normal commit (Replication.Push with origin "restore":
// validated, generation + 1, replicated; refused on a secondary); the node's
// files are written only with --node-files, after the commit went through (or
// with --no-cluster, on a replaced node whose config comes from its primary).
#include <chrono>
#include <ctime>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_bundle.hpp"
#include "cli/config_commit.hpp"
#include "cli/render.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/state/state_files.hpp"

namespace lbha::cli {

namespace {

bool is_secret(const std::string& name) {
  return name == "heartbeat.key" || name == "pair.pem" || name == "id_ed25519";
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

bool failed(cli_context& context, const std::string& message) {
  *context.err << "lbctl: " << message << "\n";
  context.exit_code = exit_code::failed;
  return false;
}

struct backup_options {
  std::string file;
  bool include_keys = false;
};

void run_backup(const backup_options& options, cli_context& context) {
  auto committed = load_current_config(context);
  if (!committed) return;
  config_bundle bundle;
  bundle.created_at = utc_now();
  bundle.cluster = *committed;
  auto node_yaml = read_file(context.node_config);
  if (!node_yaml) {
    failed(context,
           "cannot read " + context.node_config.string() + ": " + node_yaml.error().message());
    return;
  }
  bundle.node_yaml = node_yaml.value();
  auto node = config::parse_node_config(bundle.node_yaml, context.node_config.string());
  if (!node) {
    failed(context, node.error().message());
    return;
  }
  bundle.node = node.value().node_name();
  if (options.include_keys) {
    for (const auto& name : bundle_state_file_names()) {
      auto text = state::read_if_exists(context.state_dir / name);
      if (!text) {
        failed(context, text.error().message());
        return;
      }
      if (text.value()) bundle.state_files[name] = *text.value();
    }
    if (!bundle.state_files.contains("pairing")) {
      // Keys without the pairing they belong to restore nothing useful.
      bundle.state_files.clear();
      *context.err << "lbctl: note: " << bundle.node << " is not paired (no "
                   << (context.state_dir / "pairing").string() << "): no state files to back up\n";
    }
  }
  const std::string text = to_text(bundle);
  // What is written must restore: check it as restore will.
  if (auto errors = bundle_errors(text, options.file); !errors.empty()) {
    print_errors(*context.err, errors);
    failed(context, "not written: the backup would not restore");
    return;
  }
  auto written = write_file_atomically(options.file, text, bundle.has_secrets() ? 0600 : 0644);
  if (!written) {
    failed(context, "cannot write " + options.file + ": " + written.error().message());
    return;
  }
  context.exit_code = exit_code::ok;
  *context.out << "backed up cluster.yaml generation " << bundle.cluster.generation() << " (term "
               << bundle.cluster.term() << ") and node.yaml of " << bundle.node;
  if (bundle.has_secrets()) {
    *context.out << ", with the pairing state and its keys";
  }
  *context.out << " to " << options.file;
  *context.out << (bundle.has_secrets() ? " (mode 0600: it holds secrets, keep it so)\n" : "\n");
}

struct restore_options {
  std::string file;
  bool node_files = false;
  bool no_cluster = false;
  bool dry_run = false;
};

bool write_node_files(const config_bundle& bundle, cli_context& context) {
  if (auto r = write_file_atomically(context.node_config, bundle.node_yaml, 0644); !r) {
    return failed(context,
                  "cannot write " + context.node_config.string() + ": " + r.error().message());
  }
  *context.out << "restored " << context.node_config.string() << "\n";
  std::error_code ec;
  if (bundle.has_secrets()) {
    std::filesystem::create_directories(context.state_dir, ec);
    std::filesystem::permissions(context.state_dir, std::filesystem::perms::owner_all, ec);
  }
  // bundle_state_file_names() ends with pairing: written last, as pairing does.
  for (const auto& name : bundle_state_file_names()) {
    auto it = bundle.state_files.find(name);
    if (it == bundle.state_files.end()) continue;
    const auto path = context.state_dir / name;
    if (auto r = write_file_atomically(path, it->second, is_secret(name) ? 0600 : 0644); !r) {
      return failed(context, "cannot write " + path.string() + ": " + r.error().message());
    }
    *context.out << "restored " << path.string() << "\n";
  }
  return true;
}

void run_restore(const restore_options& options, cli_context& context) {
  auto text = read_file(options.file);
  if (!text) {
    failed(context, "cannot read " + options.file + ": " + text.error().message());
    return;
  }
  if (auto errors = bundle_errors(text.value(), options.file); !errors.empty()) {
    print_errors(*context.err, errors);
    failed(context, options.file + ": " + std::to_string(errors.size()) +
                        (errors.size() == 1 ? " error" : " errors") + "; nothing restored");
    return;
  }
  const auto bundle = parse_bundle(text.value(), options.file).value();
  context.exit_code = exit_code::ok;
  if (!options.no_cluster) {
    auto committed = load_current_config(context);
    if (!committed) return;
    *context.out << "cluster.yaml of generation " << bundle.cluster.generation() << " (term "
                 << bundle.cluster.term() << ", backed up on " << bundle.node << " at "
                 << bundle.created_at << "):\n";
    commit_config(*committed, bundle.cluster,
                  {.dry_run = options.dry_run, .show_diff = true, .origin = "restore"}, context);
    if (context.exit_code != exit_code::ok) return;
  }
  if (options.node_files) {
    if (options.dry_run) {
      *context.out << "would restore " << context.node_config.string()
                   << (bundle.has_secrets() ? " and the pairing state with its keys" : "")
                   << " (--dry-run)\n";
      return;
    }
    write_node_files(bundle, context);
  }
}

}  // namespace

void add_config_backup_commands(CLI::App& group, cli_context& context) {
  auto backup_opts = std::make_shared<backup_options>();
  auto* backup = group.add_subcommand(
      "backup", "write the committed cluster.yaml and this node's node.yaml to one file");
  backup->add_option("FILE", backup_opts->file, "the backup file to write")->required();
  backup->add_flag("--include-keys", backup_opts->include_keys,
                   "also the pairing state and its secrets (heartbeat.key, pair.pem, "
                   "id_ed25519); the file is then written 0600");
  backup->footer(
      "The file is YAML: the replicated config (generation, term, cluster.yaml) and, apart\n"
      "from it, this node's own files. Without --include-keys it holds no secret.\n"
      "Example:\n  lbctl config backup /root/lb1-backup.yaml\n"
      "  lbctl config backup --include-keys /root/lb1-full.yaml");
  backup->callback([backup_opts, &context] { run_backup(*backup_opts, context); });

  auto restore_opts = std::make_shared<restore_options>();
  auto* restore = group.add_subcommand(
      "restore", "commit a backup's cluster.yaml again; with --node-files also its node files");
  restore->add_option("FILE", restore_opts->file, "a file written by lbctl config backup")
      ->required();
  restore->add_flag("--node-files", restore_opts->node_files,
                    "also write node.yaml (and, when the backup has them, the pairing state and "
                    "keys) on this node");
  restore->add_flag("--no-cluster", restore_opts->no_cluster,
                    "leave the committed config alone (a replaced secondary: its primary "
                    "pushes it)");
  restore->add_flag("--dry-run", restore_opts->dry_run, "check the file and show the diff only");
  restore->footer(
      "Everything in FILE is checked before anything is written. The cluster part is a normal\n"
      "commit (generation + 1, replicated; refused on a secondary), the node files are\n"
      "written after it. Restart the daemons after restoring node files.\n"
      "Example:\n  lbctl config restore /root/lb1-backup.yaml --dry-run\n"
      "  lbctl config restore /root/lb1-backup.yaml\n"
      "  lbctl config restore --node-files --no-cluster /root/lb2-full.yaml   # a replaced node");
  restore->callback([restore_opts, &context] { run_restore(*restore_opts, context); });
}

}  // namespace lbha::cli
