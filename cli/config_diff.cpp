#include "cli/config_diff.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <unordered_map>
#include <utility>

#include "cli/render.hpp"
#include "common/config/config.hpp"

namespace lbha::cli {

namespace {

using fields = std::vector<std::pair<std::string, std::string>>;

// Dotted keys and scalar values of a YAML tree, in document order; a sequence
// of scalars is one value ("[80, 443]").
void flatten(const YAML::Node& node, const std::string& prefix, fields& out) {
  if (node.IsMap()) {
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      flatten(entry.second, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.IsSequence()) {
    bool scalars = true;
    for (const auto& item : node) scalars = scalars && item.IsScalar();
    if (scalars) {
      std::string joined;
      for (const auto& item : node) joined += (joined.empty() ? "" : ", ") + item.Scalar();
      out.emplace_back(prefix, "[" + joined + "]");
    } else {
      for (std::size_t i = 0; i < node.size(); ++i) {
        flatten(node[i], prefix + "[" + std::to_string(i) + "]", out);
      }
    }
  } else if (node.IsScalar()) {
    out.emplace_back(prefix, node.Scalar());
  }
}

// `node`'s fields, except the top-level keys `skip` says to leave out.
template <typename Skip>
fields fields_of(const YAML::Node& node, Skip skip) {
  fields out;
  for (const auto& entry : node) {
    const std::string key = entry.first.Scalar();
    if (!skip(key)) flatten(entry.second, key, out);
  }
  return out;
}

// The fields cluster.yaml writes for one service (without label and real servers).
fields service_fields(const YAML::Node& service) {
  return fields_of(service,
                   [](const std::string& key) { return key == "label" || key == "real_servers"; });
}

fields server_fields(const YAML::Node& server) {
  return fields_of(server, [](const std::string& key) { return key == "label"; });
}

// Everything but the services, generation and term (the primary assigns those).
fields cluster_fields(const YAML::Node& root) {
  return fields_of(root, [](const std::string& key) {
    return key == "generation" || key == "term" || key == "virtual_services";
  });
}

// One side of the diff: the config normalized, and as cluster.yaml writes it
// (one YAML tree for the whole config, made only when something differs).
class side {
 public:
  explicit side(v1::ClusterConfig c) : config(std::move(c)) {
    config::apply_defaults(config);
    for (int i = 0; i < config.virtual_services_size(); ++i) {
      service_at.emplace(config.virtual_services(i).label(), i);
    }
  }
  const YAML::Node& root() const {
    if (!root_) root_ = YAML::Load(config::to_yaml(config));
    return *root_;
  }
  YAML::Node service(int i) const { return root()["virtual_services"][i]; }
  YAML::Node server(int i, int j) const { return service(i)["real_servers"][j]; }
  // The cluster-wide settings alone, to compare them cheaply.
  std::string settings() const {
    v1::ClusterConfig rest = config;
    rest.clear_virtual_services();
    rest.clear_generation();
    rest.clear_term();
    return rest.SerializeAsString();
  }

  v1::ClusterConfig config;
  std::unordered_map<std::string, int> service_at;  // label -> index (the first, if repeated)

 private:
  mutable std::optional<YAML::Node> root_;
};

// "ip 192.0.2.31, port 9001, weight 100, state online"
std::string summary(const fields& values) {
  std::string text;
  for (const auto& [key, value] : values) {
    text += (text.empty() ? "" : ", ") + key + " " + value;
  }
  return text;
}

std::string service_summary(const side& from, int i) {
  std::string ports;
  for (const auto& [key, value] : service_fields(from.service(i))) {
    if (key == "ports") ports = value;
  }
  const auto& service = from.config.virtual_services(i);
  const int servers = service.real_servers_size();
  return service.ip() + " ports " + ports + ", " + std::to_string(servers) +
         (servers == 1 ? " real server" : " real servers");
}

// Field-by-field changes from `before` to `after`, tagged with `vs` / `rs`.
void diff_fields(const fields& before, const fields& after, const std::string& vs,
                 const std::string& rs, std::vector<config_change>& out) {
  const std::map<std::string, std::string> old_values(before.begin(), before.end());
  const std::map<std::string, std::string> new_values(after.begin(), after.end());
  for (const auto& [key, value] : after) {
    auto it = old_values.find(key);
    if (it == old_values.end()) {
      out.push_back({config_change::kind::changed, vs, rs, key, "", value});
    } else if (it->second != value) {
      out.push_back({config_change::kind::changed, vs, rs, key, it->second, value});
    }
  }
  for (const auto& [key, value] : before) {
    if (!new_values.contains(key)) {
      out.push_back({config_change::kind::changed, vs, rs, key, value, ""});
    }
  }
}

int index_of(const v1::VirtualService& service, const std::string& label) {
  for (int j = 0; j < service.real_servers_size(); ++j) {
    if (service.real_servers(j).label() == label) return j;
  }
  return -1;
}

void diff_service(const side& before, int i, const side& after, int k,
                  std::vector<config_change>& out) {
  const auto& old_service = before.config.virtual_services(i);
  const auto& new_service = after.config.virtual_services(k);
  if (old_service.SerializeAsString() == new_service.SerializeAsString()) return;
  const auto& vs = new_service.label();
  diff_fields(service_fields(before.service(i)), service_fields(after.service(k)), vs, "", out);
  for (int j = 0; j < new_service.real_servers_size(); ++j) {
    const auto& label = new_service.real_servers(j).label();
    const int old = index_of(old_service, label);
    if (old < 0) {
      out.push_back({config_change::kind::added, vs, label, "", "",
                     summary(server_fields(after.server(k, j)))});
    } else {
      diff_fields(server_fields(before.server(i, old)), server_fields(after.server(k, j)), vs,
                  label, out);
    }
  }
  for (int j = 0; j < old_service.real_servers_size(); ++j) {
    const auto& label = old_service.real_servers(j).label();
    if (index_of(new_service, label) < 0) {
      out.push_back({config_change::kind::removed, vs, label, "",
                     summary(server_fields(before.server(i, j))), ""});
    }
  }
}

std::string shown(const std::string& value) { return value.empty() ? "(none)" : value; }

const char* kind_name(config_change::kind what) {
  switch (what) {
    case config_change::kind::added:
      return "added";
    case config_change::kind::removed:
      return "removed";
    case config_change::kind::changed:
      break;
  }
  return "changed";
}

char sign(config_change::kind what) {
  return what == config_change::kind::added     ? '+'
         : what == config_change::kind::removed ? '-'
                                                : '~';
}

}  // namespace

std::vector<config_change> diff_configs(v1::ClusterConfig before, v1::ClusterConfig after) {
  const side old_side(std::move(before));
  const side new_side(std::move(after));
  std::vector<config_change> out;
  if (old_side.settings() != new_side.settings()) {
    diff_fields(cluster_fields(old_side.root()), cluster_fields(new_side.root()), "", "", out);
  }
  for (int k = 0; k < new_side.config.virtual_services_size(); ++k) {
    const auto& vs = new_side.config.virtual_services(k).label();
    if (auto old = old_side.service_at.find(vs); old != old_side.service_at.end()) {
      diff_service(old_side, old->second, new_side, k, out);
      continue;
    }
    out.push_back({config_change::kind::added, vs, "", "", "", service_summary(new_side, k)});
    for (const auto& [key, value] : service_fields(new_side.service(k))) {
      out.push_back({config_change::kind::added, vs, "", key, "", value});
    }
    const auto& servers = new_side.config.virtual_services(k).real_servers();
    for (int j = 0; j < servers.size(); ++j) {
      out.push_back({config_change::kind::added, vs, servers[j].label(), "", "",
                     summary(server_fields(new_side.server(k, j)))});
    }
  }
  for (int i = 0; i < old_side.config.virtual_services_size(); ++i) {
    const auto& vs = old_side.config.virtual_services(i).label();
    if (!new_side.service_at.contains(vs)) {
      out.push_back({config_change::kind::removed, vs, "", "", service_summary(old_side, i), ""});
    }
  }
  return out;
}

std::string render_diff(const std::vector<config_change>& changes) {
  if (changes.empty()) return "no changes\n";
  std::string text;
  std::string header_for;  // the service whose header line was printed last
  const std::string indent = "    ";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    const char s = sign(c.what);
    if (c.virtual_service.empty()) {
      text += "~ " + c.key + ": " + shown(c.before) + " -> " + shown(c.after) + "\n";
      continue;
    }
    if (c.real_server.empty() && c.key.empty()) {  // a whole service added or removed
      text += std::string(1, s) + " virtual service " + c.virtual_service +
              (c.what == config_change::kind::removed ? ": " + c.before : "") + "\n";
      header_for = c.virtual_service;
      continue;
    }
    if (header_for != c.virtual_service) {
      text += "~ virtual service " + c.virtual_service + "\n";
      header_for = c.virtual_service;
    }
    if (c.real_server.empty()) {  // a field of the service
      text += std::string(1, s) + " " + indent + c.key + ": " +
              (c.what == config_change::kind::changed ? shown(c.before) + " -> " + shown(c.after)
                                                      : c.after) +
              "\n";
      continue;
    }
    if (c.key.empty()) {  // a whole real server added or removed
      text += std::string(1, s) + " " + indent + "real server " + c.real_server + ": " +
              (c.what == config_change::kind::added ? c.after : c.before) + "\n";
      continue;
    }
    // Fields of one real server: one line for all of them.
    text += "~ " + indent + "real server " + c.real_server + ": ";
    for (std::size_t j = i; j < changes.size(); ++j) {
      const auto& f = changes[j];
      if (f.virtual_service != c.virtual_service || f.real_server != c.real_server ||
          f.key.empty()) {
        break;
      }
      text += (j == i ? "" : ", ") + f.key + " " + shown(f.before) + " -> " + shown(f.after);
      i = j;
    }
    text += "\n";
  }
  return text;
}

std::string diff_json(const std::vector<config_change>& changes) {
  std::string out = "[";
  for (std::size_t i = 0; i < changes.size(); ++i) {
    const auto& c = changes[i];
    out += std::string(i == 0 ? "" : ",") + "\n  {\"change\": \"" + kind_name(c.what) +
           "\", \"virtual_service\": " + json_string(c.virtual_service) +
           ", \"real_server\": " + json_string(c.real_server) + ", \"key\": " + json_string(c.key) +
           ", \"from\": " + json_string(c.before) + ", \"to\": " + json_string(c.after) + "}";
  }
  return out + (changes.empty() ? "]" : "\n]");
}

}  // namespace lbha::cli
