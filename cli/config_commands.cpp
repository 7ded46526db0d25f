// lbctl config validate FILE / show [FILE] / diff [FILE].
//
// All work on files only (no daemon needed), so an operator can check an
// edit before committing it, see every default the daemons will use, and
// what a new cluster.yaml would change (config_diff.hpp).
#include <google/protobuf/util/json_util.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <iterator>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_commit.hpp"
#include "cli/config_diff.hpp"
#include "cli/render.hpp"
#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/node_files.hpp"

namespace lbha::cli {

namespace {

enum class config_kind { node, cluster };

const char* kind_name(config_kind kind) { return kind == config_kind::node ? "node" : "cluster"; }

// node.yaml and cluster.yaml share no top-level key, so the keys decide; an
// empty or unparsable file falls back to its name (node*.yaml is a node file).
config_kind detect_kind(const std::filesystem::path& file, const std::string& text) {
  static const std::set<std::string> node_keys{"node_name",      "interface", "local_addresses",
                                               "peer_addresses", "priority",  "ping_nodes",
                                               "directories",    "ports",     "ssh",
                                               "proxy",          "notify",    "log_level"};
  static const std::set<std::string> cluster_keys{"generation", "term", "ha", "virtual_services"};
  int node_votes = 0;
  int cluster_votes = 0;
  try {
    const YAML::Node root = YAML::Load(text);
    if (root.IsMap()) {
      for (const auto& entry : root) {
        if (!entry.first.IsScalar()) continue;
        node_votes += node_keys.contains(entry.first.Scalar()) ? 1 : 0;
        cluster_votes += cluster_keys.contains(entry.first.Scalar()) ? 1 : 0;
      }
    }
  } catch (const YAML::Exception&) {
    // The loader reports the syntax error with its line; only the kind is guessed here.
  }
  if (node_votes != cluster_votes) {
    return node_votes > cluster_votes ? config_kind::node : config_kind::cluster;
  }
  return file.filename().string().starts_with("node") ? config_kind::node : config_kind::cluster;
}

struct file_options {
  std::string file;
  bool node = false;
  bool cluster = false;
  std::uint64_t generation = 0;  // show --generation N: from the history
};

// Adds --node / --cluster (mutually exclusive) to a subcommand.
void add_kind_flags(CLI::App& command, file_options& options) {
  auto* node = command.add_flag("--node", options.node, "treat FILE as node.yaml");
  command.add_flag("--cluster", options.cluster, "treat FILE as cluster.yaml")->excludes(node);
}

// A loaded file of either kind, or its errors.
struct loaded_file {
  config_kind kind = config_kind::cluster;
  std::vector<config::config_error> errors;
  std::optional<v1::ClusterConfig> cluster;
  std::optional<v1::NodeConfig> node;
};

loaded_file load(const file_options& options) {
  loaded_file loaded;
  auto text = read_file(options.file);
  if (!text) {
    loaded.errors.push_back({options.file, 0, "", "cannot read: " + text.error().message()});
    return loaded;
  }
  loaded.kind = options.node      ? config_kind::node
                : options.cluster ? config_kind::cluster
                                  : detect_kind(options.file, text.value());
  // The structured errors for --json; the value only for a file without any.
  if (loaded.kind == config_kind::node) {
    loaded.errors = config::node_config_errors(text.value(), options.file);
    if (loaded.errors.empty())
      loaded.node = config::parse_node_config(text.value(), options.file).value();
  } else {
    loaded.errors = config::cluster_config_errors(text.value(), options.file);
    if (loaded.errors.empty()) {
      loaded.cluster = config::parse_cluster_config(text.value(), options.file).value();
    }
  }
  return loaded;
}

std::string summary(const loaded_file& loaded) {
  if (loaded.node) return "node " + loaded.node->node_name();
  int real_servers = 0;
  for (const auto& vs : loaded.cluster->virtual_services()) real_servers += vs.real_servers_size();
  const int services = loaded.cluster->virtual_services_size();
  return std::to_string(services) + (services == 1 ? " virtual service, " : " virtual services, ") +
         std::to_string(real_servers) + (real_servers == 1 ? " real server" : " real servers");
}

void run_validate(const file_options& options, cli_context& context) {
  loaded_file loaded = load(options);
  // The daemons refuse a node.yaml (or hook) others could change; say so now.
  if (loaded.node) {
    if (auto trusted = check_node_trust(options.file, *loaded.node); !trusted) {
      loaded.errors.push_back({options.file, 0, "", trusted.error().message()});
      loaded.node.reset();
    }
  }
  const bool valid = loaded.errors.empty();
  if (context.json) {
    *context.out << "{\"file\": " << json_string(options.file) << ", \"kind\": \""
                 << kind_name(loaded.kind) << "\", \"valid\": " << (valid ? "true" : "false");
    if (valid && loaded.cluster) {
      int real_servers = 0;
      for (const auto& vs : loaded.cluster->virtual_services()) {
        real_servers += vs.real_servers_size();
      }
      *context.out << ", \"virtual_services\": " << loaded.cluster->virtual_services_size()
                   << ", \"real_servers\": " << real_servers;
    }
    *context.out << ", \"errors\": " << errors_json(loaded.errors) << "}\n";
  } else if (valid) {
    *context.out << options.file << ": valid (" << summary(loaded) << ")\n";
  } else {
    print_errors(*context.err, loaded.errors);
    *context.err << options.file << ": " << loaded.errors.size()
                 << (loaded.errors.size() == 1 ? " error\n" : " errors\n");
  }
  context.exit_code = valid ? exit_code::ok : exit_code::failed;
}

void run_show(file_options options, cli_context& context) {
  if (options.file.empty()) options.file = (context.config_dir / "cluster.yaml").string();
  const loaded_file loaded = load(options);
  if (!loaded.errors.empty()) {
    print_errors(*context.err, loaded.errors);
    context.exit_code = exit_code::failed;
    return;
  }
  if (context.json) {
    google::protobuf::util::JsonPrintOptions json;
    json.add_whitespace = true;
    json.always_print_primitive_fields = true;
    json.preserve_proto_field_names = true;
    std::string text;
    const auto status =
        loaded.node ? google::protobuf::util::MessageToJsonString(*loaded.node, &text, json)
                    : google::protobuf::util::MessageToJsonString(*loaded.cluster, &text, json);
    if (!status.ok()) {
      *context.err << "lbctl: cannot render JSON: " << status.ToString() << "\n";
      context.exit_code = exit_code::failed;
      return;
    }
    *context.out << text;
  } else {
    *context.out << (loaded.node ? config::to_yaml(*loaded.node)
                                 : config::to_yaml(*loaded.cluster));
  }
  context.exit_code = exit_code::ok;
}

struct diff_options {
  std::string file;      // empty: stdin
  std::string new_file;  // set: compare `file` with it instead of the committed config
  bool exit_code = false;
};

// A cluster.yaml from a file or, for "-", from stdin; nullopt when it is
// invalid (errors printed, exit code 1).
std::optional<v1::ClusterConfig> read_cluster(const std::string& file, cli_context& context) {
  std::string text;
  if (file == "-") {
    text.assign(std::istreambuf_iterator<char>(*context.in), std::istreambuf_iterator<char>());
  } else {
    auto read = read_file(file);
    if (!read) {
      *context.err << "lbctl: cannot read " << file << ": " << read.error().message() << "\n";
      context.exit_code = exit_code::failed;
      return std::nullopt;
    }
    text = std::move(read.value());
  }
  auto parsed = config::parse_cluster_config(text, file == "-" ? "(stdin)" : file);
  if (!parsed) {
    *context.err << parsed.error().message() << "\n";
    context.exit_code = exit_code::failed;
    return std::nullopt;
  }
  return std::move(parsed).value();
}

void run_diff(const diff_options& given, cli_context& context) {
  diff_options options = given;
  if (options.file.empty()) {
    if (context.in == &std::cin && ::isatty(STDIN_FILENO) == 1) {
      *context.err << "lbctl: config diff: give a FILE, or pipe a cluster.yaml on stdin "
                      "(lbctl config diff --help)\n";
      context.exit_code = exit_code::usage;
      return;
    }
    options.file = "-";
  }
  std::string old_name;
  std::optional<v1::ClusterConfig> before;
  if (options.new_file.empty()) {
    old_name = (context.config_dir / "cluster.yaml").string();
    before = load_current_config(context);
  } else {
    old_name = options.file;
    before = read_cluster(old_name, context);
  }
  if (!before) return;
  const std::string new_name = options.new_file.empty() ? options.file : options.new_file;
  const auto after = read_cluster(new_name, context);
  if (!after) return;
  const auto changes = diff_configs(*before, *after);
  if (context.json) {
    *context.out << "{\"from\": " << json_string(old_name)
                 << ", \"from_generation\": " << before->generation()
                 << ", \"to\": " << json_string(new_name == "-" ? "(stdin)" : new_name)
                 << ", \"changes\": " << diff_json(changes) << "}\n";
  } else {
    *context.out << "--- " << old_name << " (generation " << before->generation() << ")\n"
                 << "+++ " << (new_name == "-" ? "(stdin)" : new_name) << "\n"
                 << render_diff(changes);
  }
  context.exit_code = options.exit_code && !changes.empty() ? exit_code::failed : exit_code::ok;
}

}  // namespace

void add_config_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand(
      "config", "check, show and compare configuration files; history and rollback");
  group->require_subcommand(1);
  group->footer(
      "Examples:\n  lbctl config validate /etc/lbha/cluster.yaml\n  lbctl config show\n"
      "  lbctl config diff new-cluster.yaml\n  lbctl config history\n  lbctl config rollback 41");

  auto validate_options = std::make_shared<file_options>();
  auto* validate = group->add_subcommand(
      "validate", "check a node.yaml or cluster.yaml and report every error with its line");
  validate->add_option("FILE", validate_options->file, "the file to check")->required();
  add_kind_flags(*validate, *validate_options);
  validate->footer(
      "The kind of file is recognised by its top-level keys unless --node or --cluster is given.\n"
      "Errors go to stderr as FILE:LINE: KEY: MESSAGE; the exit code is 1 when any is found.\n"
      "Example:\n  lbctl config validate /etc/lbha/cluster.yaml\n"
      "  lbctl config validate --node /etc/lbha/node.yaml");
  validate->callback([validate_options, &context] { run_validate(*validate_options, context); });

  auto show_options = std::make_shared<file_options>();
  auto* show =
      group->add_subcommand("show", "print a config file normalized, with every default filled in");
  show->add_option("FILE", show_options->file,
                   "the file to show (default <config-dir>/cluster.yaml)");
  add_kind_flags(*show, *show_options);
  show->footer(
      "Example:\n  lbctl config show\n  lbctl --json config show /etc/lbha/node.yaml\n"
      "  lbctl config show --generation 41   # a committed generation (lbctl config history)");
  show->callback([show_options, &context] {
    bool handled = false;
    show_generation_if_asked(show_options->generation, handled, context);
    if (!handled) run_show(*show_options, context);
  });
  add_config_history_commands(*group, *show, show_options->generation, context);
  add_config_backup_commands(*group, context);

  auto diff_opts = std::make_shared<diff_options>();
  auto* diff = group->add_subcommand(
      "diff", "what a cluster.yaml would change against the committed one, per service and server");
  diff->add_option("FILE", diff_opts->file,
                   "the proposed cluster.yaml (- or none: stdin); the old one when NEW is given");
  diff->add_option("NEW", diff_opts->new_file, "compare FILE with this one instead");
  diff->add_flag("--exit-code", diff_opts->exit_code, "exit 1 when there are changes (as diff)");
  diff->footer(
      "Both sides are compared with every default filled in, by label; generation and term\n"
      "are left out (the primary assigns them). Lines: + added, - removed, ~ changed.\n"
      "FILE is compared with <config-dir>/cluster.yaml, the committed config.\n"
      "Examples:\n"
      "  lbctl config diff new-cluster.yaml\n"
      "  lbctl config show | sed 's/deadtime: 1s/deadtime: 2s/' | lbctl config diff\n"
      "  lbctl config diff old.yaml new.yaml   # two files, no committed config\n"
      "  lbctl --json config diff new-cluster.yaml");
  diff->callback([diff_opts, &context] { run_diff(*diff_opts, context); });
}

}  // namespace lbha::cli
