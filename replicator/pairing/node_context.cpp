#include "replicator/pairing/node_context.hpp"

#include <filesystem>
#include <system_error>

#include "common/config/config.hpp"
#include "common/node_directories.hpp"
#include "replicator/pairing/authorized_keys.hpp"

namespace lbha::pairing {

result<node_context> load_node_context(const daemon_options& options) {
  auto loaded = config::load_node_config(options.node_config);
  if (!loaded) return loaded.error();
  const auto& node = loaded.value();
  node_context ctx;
  ctx.node_name = node.node_name();
  ctx.node_config = options.node_config;
  const auto dirs = resolve_directories(options, node);
  ctx.config_dir = dirs.config_dir;
  ctx.state_dir = dirs.state_dir;
  ctx.run_dir = dirs.run_dir;
  ctx.local_addresses.assign(node.local_addresses().begin(), node.local_addresses().end());
  ctx.peer_addresses.assign(node.peer_addresses().begin(), node.peer_addresses().end());
  if (!node.ssh().user().empty()) ctx.ssh_user = node.ssh().user();
  if (node.ports().ssh() != 0) ctx.ssh_port = static_cast<std::uint16_t>(node.ports().ssh());
  if (!node.ssh().receive_command().empty()) ctx.receive_command = node.ssh().receive_command();
  // A bare name is the relay beside lbha-replicatord itself (/usr/sbin when
  // installed): sshd runs it as the login user, whose PATH has no sbin, both
  // at pairing (password login) and behind the pair's forced command.
  if (const std::filesystem::path relay = ctx.receive_command;
      relay.is_relative() && !relay.has_parent_path()) {
    std::error_code ec;
    auto beside = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / relay;
    if (!ec && std::filesystem::exists(beside, ec)) ctx.receive_command = beside.string();
  }
  ctx.authorized_keys = node.ssh().authorized_keys().empty()
                            ? default_authorized_keys_path(ctx.ssh_user)
                            : std::filesystem::path(node.ssh().authorized_keys());
  ctx.authorized_keys_owner = key_file_owner_of(ctx.ssh_user);
  return ctx;
}

}  // namespace lbha::pairing
