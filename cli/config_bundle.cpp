#include "cli/config_bundle.hpp"

#include <yaml-cpp/yaml.h>

#include <set>

#include "common/state/heartbeat_keys.hpp"
#include "common/state/pair_certificate.hpp"
#include "common/state/pairing_file.hpp"

namespace lbha::cli {

namespace {

// Errors of a text embedded as a block scalar at `mark`, with the bundle's line numbers.
void add_embedded(std::vector<config::config_error>& out, std::vector<config::config_error> found,
                  std::string_view file, const YAML::Mark& mark, const std::string& prefix) {
  for (auto& e : found) {
    e.file = std::string(file);
    if (e.line > 0) e.line += mark.line + 1;
    e.key = prefix + (e.key.empty() ? "" : "." + e.key);
    out.push_back(std::move(e));
  }
}

// One state file's own check; "" when it is good.
std::string state_file_problem(const std::string& name, const std::string& text) {
  if (name == "pairing") {
    auto parsed = state::parse_pairing(text);
    return parsed ? "" : parsed.error().message();
  }
  if (name == "heartbeat.key") {
    auto parsed = state::parse_heartbeat_keys(text);
    return parsed ? "" : parsed.error().message();
  }
  if (name == "pair.pem") {
    auto parsed = state::parse_pair_certificate(text);
    return parsed ? "" : parsed.error().message();
  }
  if (name == "peer_host_key") {
    return text.rfind("SHA256:", 0) == 0 ? "" : "expected one line, SHA256:<base64>";
  }
  if (name == "id_ed25519") {
    return text.rfind("-----BEGIN OPENSSH PRIVATE KEY-----", 0) == 0
               ? ""
               : "expected an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----)";
  }
  return "not a file a backup holds (known: pairing, peer_host_key, heartbeat.key, pair.pem, "
         "id_ed25519)";
}

struct parsed_bundle {
  config_bundle bundle;
  std::vector<config::config_error> errors;
};

parsed_bundle parse(std::string_view text, std::string_view file) {
  parsed_bundle out;
  auto fail = [&](int line, std::string key, std::string message) {
    out.errors.push_back({std::string(file), line, std::move(key), std::move(message)});
  };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    fail(e.mark.line + 1, "", "YAML syntax error: " + e.msg);
    return out;
  }
  if (!root.IsMap()) {
    fail(1, "",
         "not an lbha backup (expected a mapping with format: " + std::string(bundle_format) + ")");
    return out;
  }
  auto line_of = [](const YAML::Node& n) { return n.Mark().line + 1; };
  auto scalar = [&](const YAML::Node& parent, const std::string& key,
                    const std::string& path) -> std::optional<std::string> {
    const YAML::Node n = parent[key];
    if (!n) {
      fail(line_of(parent), path, "missing");
      return std::nullopt;
    }
    if (!n.IsScalar()) {
      fail(line_of(n), path, "expected text");
      return std::nullopt;
    }
    return n.Scalar();
  };
  static const std::set<std::string> top_keys{"format", "created_at", "node", "cluster",
                                              "node_files"};
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    if (!top_keys.contains(key)) fail(line_of(entry.first), key, "unknown key");
  }
  auto format = scalar(root, "format", "format");
  if (format && *format != bundle_format) {
    fail(line_of(root["format"]), "format",
         "'" + *format + "' is not " + std::string(bundle_format) + " (made by another version?)");
    return out;
  }
  if (auto at = scalar(root, "created_at", "created_at")) out.bundle.created_at = *at;
  if (auto node = scalar(root, "node", "node")) out.bundle.node = *node;

  const YAML::Node cluster = root["cluster"];
  if (!cluster || !cluster.IsMap()) {
    fail(cluster ? line_of(cluster) : line_of(root), "cluster", "missing or not a mapping");
  } else if (auto yaml = scalar(cluster, "cluster.yaml", "cluster.cluster.yaml")) {
    auto found = config::cluster_config_errors(*yaml, file);
    if (!found.empty()) {
      add_embedded(out.errors, std::move(found), file, cluster["cluster.yaml"].Mark(),
                   "cluster.cluster.yaml");
    } else {
      out.bundle.cluster = config::parse_cluster_config(*yaml, file).value();
      config::apply_defaults(out.bundle.cluster);
      for (const auto& e : config::validate(out.bundle.cluster, std::string(file))) {
        fail(line_of(cluster["cluster.yaml"]), "cluster.cluster.yaml." + e.key, e.message);
      }
      for (const char* field : {"generation", "term"}) {
        auto value = scalar(cluster, field, std::string("cluster.") + field);
        const auto expected = std::string(field) == "generation" ? out.bundle.cluster.generation()
                                                                 : out.bundle.cluster.term();
        if (value && *value != std::to_string(expected)) {
          fail(line_of(cluster[field]), std::string("cluster.") + field,
               *value + " does not match the " + field + " of the cluster.yaml it holds (" +
                   std::to_string(expected) + ")");
        }
      }
    }
  }

  const YAML::Node files = root["node_files"];
  if (!files || !files.IsMap()) {
    fail(files ? line_of(files) : line_of(root), "node_files", "missing or not a mapping");
    return out;
  }
  for (const auto& entry : files) {
    const std::string name = entry.first.Scalar();
    const std::string path = "node_files." + name;
    if (!entry.second.IsScalar()) {
      fail(line_of(entry.second), path, "expected the file's text");
      continue;
    }
    const std::string& content = entry.second.Scalar();
    if (name == "node.yaml") {
      auto found = config::node_config_errors(content, file);
      if (found.empty()) {
        out.bundle.node_yaml = content;
      } else {
        add_embedded(out.errors, std::move(found), file, entry.second.Mark(), path);
      }
      continue;
    }
    if (auto problem = state_file_problem(name, content); !problem.empty()) {
      fail(line_of(entry.first), path, problem);
      continue;
    }
    out.bundle.state_files[name] = content;
  }
  if (!files["node.yaml"]) fail(line_of(files), "node_files.node.yaml", "missing");
  if (!out.bundle.state_files.empty() && !out.bundle.state_files.contains("pairing")) {
    fail(line_of(files), "node_files.pairing",
         "missing: the state files come together (pairing, peer_host_key, heartbeat.key, "
         "pair.pem, id_ed25519) or not at all");
  }
  return out;
}

}  // namespace

const std::vector<std::string>& bundle_state_file_names() {
  static const std::vector<std::string> names{"id_ed25519", "heartbeat.key", "pair.pem",
                                              "peer_host_key", "pairing"};
  return names;
}

std::string to_text(const config_bundle& bundle) {
  YAML::Emitter out;
  out << YAML::Comment(
      "lbha config backup: lbctl config restore FILE (lbctl config backup --help)");
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << std::string(bundle_format);
  out << YAML::Key << "created_at" << YAML::Value << bundle.created_at;
  out << YAML::Key << "node" << YAML::Value << bundle.node;
  out << YAML::Key << "cluster" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "generation" << YAML::Value << bundle.cluster.generation();
  out << YAML::Key << "term" << YAML::Value << bundle.cluster.term();
  out << YAML::Key << "cluster.yaml" << YAML::Value << YAML::Literal
      << config::to_yaml(bundle.cluster);
  out << YAML::EndMap;
  out << YAML::Key << "node_files" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "node.yaml" << YAML::Value << YAML::Literal << bundle.node_yaml;
  for (const auto& name : bundle_state_file_names()) {
    auto it = bundle.state_files.find(name);
    if (it == bundle.state_files.end()) continue;
    out << YAML::Key << name << YAML::Value << YAML::Literal << it->second;
  }
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<config::config_error> bundle_errors(std::string_view text, std::string_view file_name) {
  return parse(text, file_name).errors;
}

result<config_bundle> parse_bundle(std::string_view text, std::string_view file_name) {
  auto parsed = parse(text, file_name);
  if (!parsed.errors.empty()) return config::to_error(parsed.errors);
  return std::move(parsed.bundle);
}

}  // namespace lbha::cli
