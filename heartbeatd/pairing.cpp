#include "heartbeatd/pairing.hpp"

namespace lbha::heartbeat {

result<std::optional<identity>> load_identity(const state::state_files& files) {
  auto pairing = state::read_pairing(files);
  if (!pairing) return pairing.error();
  if (!pairing.value()) return std::optional<identity>{};
  // The parser has checked the cluster id.
  return std::optional<identity>(identity{*state::parse_cluster_id(pairing.value()->cluster_id),
                                          pairing.value()->local_node_id});
}

}  // namespace lbha::heartbeat
