#include "common/node_files.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/config/config.hpp"
#include "common/file_trust.hpp"

namespace lbha {

namespace {

result<node_files> load_node(const daemon_options& options) {
  auto node = config::load_node_config(options.node_config);
  if (!node) return node.error();
  if (auto r = check_node_trust(options.node_config, node.value()); !r) return r.error();
  node_files out;
  out.node = std::move(node).value();
  out.dirs = resolve_directories(options, out.node);
  return out;
}

}  // namespace

result<void> check_node_trust(const std::filesystem::path& node_yaml,
                              const lbha::v1::NodeConfig& node) {
  if (auto r = check_trusted_file(node_yaml, "node.yaml"); !r) return r;
  const auto& notify = node.notify();
  for (const auto& [key, hook] : {std::pair{"notify.on_active", &notify.on_active()},
                                  std::pair{"notify.on_passive", &notify.on_passive()},
                                  std::pair{"notify.on_fault", &notify.on_fault()}}) {
    if (hook->empty()) continue;
    if (auto r = check_trusted_file(*hook, std::string(key) + " hook"); !r) return r;
  }
  const auto& hooks = node.alerts().hooks();
  for (int i = 0; i < hooks.size(); ++i) {
    const std::string key = "alerts.hooks[" + std::to_string(i) + "]";
    if (::access(hooks[i].c_str(), X_OK) != 0) {
      const int e = errno;
      return error(config::errc::invalid, node_yaml.string() + ": " + key + ": " + hooks[i] +
                                              " cannot be run: " + std::strerror(e));
    }
    if (auto r = check_trusted_file(hooks[i], key + " hook"); !r) return r;
  }
  return success();
}

result<node_files> load_node_files(const daemon_options& options) {
  auto out = load_node(options);
  if (!out) return out;
  const auto path = out.value().dirs.cluster_file();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    config::apply_defaults(out.value().cluster);
    return out;
  }
  auto cluster = config::load_cluster_config(path);
  if (!cluster) return cluster.error();
  out.value().cluster = std::move(cluster).value();
  return out;
}

result<node_files> load_node_files(const daemon_options& options,
                                   const lbha::v1::ClusterConfig& cluster) {
  auto out = load_node(options);
  if (!out) return out;
  out.value().cluster = cluster;
  config::apply_defaults(out.value().cluster);
  if (auto errors = config::validate(out.value().cluster, "cluster config in the request");
      !errors.empty())
    return config::to_error(errors);
  return out;
}

}  // namespace lbha
