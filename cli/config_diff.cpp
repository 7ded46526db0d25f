#include "cli/config_diff.hpp"

#include <yaml-cpp/yaml.h>

#include <map>
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

// The fields cluster.yaml writes for one service (without label and real servers).
fields service_fields(v1::VirtualService service) {
  service.clear_real_servers();
  v1::ClusterConfig one;
  *one.add_virtual_services() = std::move(service);
  fields out;
  flatten(YAML::Load(config::to_yaml(one))["virtual_services"][0], "", out);
  std::erase_if(out, [](const auto& field) {
    return field.first == "label" || field.first.starts_with("real_servers");
  });
  return out;
}

fields server_fields(const v1::RealServer& server) {
  v1::ClusterConfig one;
  *one.add_virtual_services()->add_real_servers() = server;
  fields out;
  flatten(YAML::Load(config::to_yaml(one))["virtual_services"][0]["real_servers"][0], "", out);
  std::erase_if(out, [](const auto& field) { return field.first == "label"; });
  return out;
}

// Everything but the services, generation and term (the primary assigns those).
fields cluster_fields(v1::ClusterConfig config) {
  config.clear_virtual_services();
  fields out;
  flatten(YAML::Load(config::to_yaml(config)), "", out);
  std::erase_if(out, [](const auto& field) {
    return field.first == "generation" || field.first == "term" ||
           field.first.starts_with("virtual_services");
  });
  return out;
}

// "ip 192.0.2.31, port 9001, weight 100, state online"
std::string summary(const fields& values) {
  std::string text;
  for (const auto& [key, value] : values) {
    text += (text.empty() ? "" : ", ") + key + " " + value;
  }
  return text;
}

std::string service_summary(const v1::VirtualService& service) {
  std::string ports;
  for (const auto& [key, value] : service_fields(service)) {
    if (key == "ports") ports = value;
  }
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

template <typename Items>
auto find_label(const Items& items, const std::string& label) -> decltype(&items[0]) {
  for (const auto& item : items) {
    if (item.label() == label) return &item;
  }
  return nullptr;
}

void diff_service(const v1::VirtualService& before, const v1::VirtualService& after,
                  std::vector<config_change>& out) {
  const auto& vs = after.label();
  diff_fields(service_fields(before), service_fields(after), vs, "", out);
  for (const auto& server : after.real_servers()) {
    const auto* old = find_label(before.real_servers(), server.label());
    if (old == nullptr) {
      out.push_back(
          {config_change::kind::added, vs, server.label(), "", "", summary(server_fields(server))});
    } else {
      diff_fields(server_fields(*old), server_fields(server), vs, server.label(), out);
    }
  }
  for (const auto& server : before.real_servers()) {
    if (find_label(after.real_servers(), server.label()) == nullptr) {
      out.push_back({config_change::kind::removed, vs, server.label(), "",
                     summary(server_fields(server)), ""});
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
  config::apply_defaults(before);
  config::apply_defaults(after);
  std::vector<config_change> out;
  diff_fields(cluster_fields(before), cluster_fields(after), "", "", out);
  for (const auto& service : after.virtual_services()) {
    const auto* old = find_label(before.virtual_services(), service.label());
    if (old != nullptr) {
      diff_service(*old, service, out);
      continue;
    }
    const auto& vs = service.label();
    out.push_back({config_change::kind::added, vs, "", "", "", service_summary(service)});
    for (const auto& [key, value] : service_fields(service)) {
      out.push_back({config_change::kind::added, vs, "", key, "", value});
    }
    for (const auto& server : service.real_servers()) {
      out.push_back(
          {config_change::kind::added, vs, server.label(), "", "", summary(server_fields(server))});
    }
  }
  for (const auto& service : before.virtual_services()) {
    if (find_label(after.virtual_services(), service.label()) == nullptr) {
      out.push_back(
          {config_change::kind::removed, service.label(), "", "", service_summary(service), ""});
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
