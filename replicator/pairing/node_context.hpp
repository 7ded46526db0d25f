// What replication needs to know about the local node, resolved once from
// node.yaml and the command line (--state-dir / --run-dir win over node.yaml).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/daemon_options.hpp"
#include "replicator/pairing/authorized_keys.hpp"
#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

struct node_context {
  std::string node_name;
  std::filesystem::path node_config;
  std::filesystem::path config_dir;
  std::filesystem::path state_dir;
  std::filesystem::path run_dir;
  std::vector<std::string> local_addresses;
  std::vector<std::string> peer_addresses;  // node.yaml's heartbeat paths to the peer
  std::string ssh_user = "loadbalancer";
  std::uint16_t ssh_port = 22;
  std::string receive_command = "lbha-receive-config";  // what we run on the peer
  std::filesystem::path authorized_keys;                 // on this node, ssh_user's
  // Whose identity root's replicatord takes to write authorized_keys (unset:
  // its own, when not root or the user does not exist).
  std::optional<key_file_owner> authorized_keys_owner;
};

result<node_context> load_node_context(const daemon_options& options);

}  // namespace lbha::pairing
