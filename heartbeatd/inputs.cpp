#include "heartbeatd/inputs.hpp"

namespace lbha::heartbeat {

result<daemon_inputs> load_inputs(const heartbeatd_flags& flags, const node_files& files) {
  daemon_inputs out;
  out.node = files.node;
  out.cluster = files.cluster;
  out.state_dir = files.dirs.state_dir;
  out.run_dir = files.dirs.run_dir;

  const state::state_files state(out.state_dir);
  auto pairing = load_identity(state);
  if (!pairing) return pairing.error();
  out.id = pairing.value();
  if (!flags.cluster_id.empty() || flags.node_id != 0) {
    identity id = out.id.value_or(identity{});
    if (!flags.cluster_id.empty()) {
      auto c = state::parse_cluster_id(flags.cluster_id);
      if (!c) return error(std::errc::invalid_argument, "--cluster-id must be 32 hex digits");
      id.cluster = *c;
    }
    if (flags.node_id != 0) id.node_id = flags.node_id;
    out.id = id;
  }
  const auto key_path = !flags.key_file.empty() ? flags.key_file : state.heartbeat_key();
  auto keys = state::read_heartbeat_keys(key_path);
  if (!keys) return keys.error();
  if (!keys.value() && !flags.key_file.empty())
    return error(std::errc::no_such_file_or_directory, key_path.string() + ": does not exist");
  out.keys = keys.value() ? keyring(std::move(*keys.value())) : keyring{};
  if (!out.keys.empty() && (!out.id || out.id->node_id == 0))
    return error(std::errc::invalid_argument,
                 "a heartbeat key but no node id: pair the nodes (" + state.pairing().string() +
                     ") or pass --node-id");
  return out;
}

}  // namespace lbha::heartbeat
