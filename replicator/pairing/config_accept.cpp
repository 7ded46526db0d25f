#include "replicator/pairing/config_accept.hpp"

#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/config_history.hpp"

namespace lbha::pairing {

result<reload_outcome> accept_config(const node_context& node, local_daemons& daemons,
                                     const lbha::v1::ClusterConfig& incoming,
                                     const std::string& origin, const std::string& summary) {
  const auto path = cluster_config_path(node.config_dir);
  auto current = load_cluster_header(path);
  if (!current) {
    return error(errc::io, "cannot read this node's cluster.yaml: " + current.error().message());
  }
  if (auto acceptable = check_incoming(current.value(), incoming); !acceptable) {
    return acceptable.error();
  }
  if (auto stored = store_cluster(path, incoming); !stored) return stored.error();
  note_in_history(node.state_dir, incoming, origin, summary);
  // The file is in force from now on (daemons read it when they start); the
  // caller reports a daemon that did not take it.
  return daemons.reload(&incoming);
}

}  // namespace lbha::pairing
