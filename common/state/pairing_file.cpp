#include "common/state/pairing_file.hpp"

#include <yaml-cpp/yaml.h>

#include <sstream>

#include "common/state/hex.hpp"

namespace lbha::state {

namespace {

// The value at `key` (a path of map keys), an undefined node when it is absent.
// reset() rebinds: assigning one YAML::Node to another would overwrite the document.
YAML::Node find(const YAML::Node& root, std::initializer_list<const char*> key) {
  YAML::Node node;
  node.reset(root);
  for (const char* k : key) {
    if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& map = node;
    const YAML::Node next = map[k];
    if (!next) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(next);
  }
  return node;
}

struct reader {
  const YAML::Node& root;
  std::string problem;  // the first one

  template <typename T>
  T get(std::initializer_list<const char*> key, const char* expected, bool required = true) {
    std::string name;
    for (const char* k : key) name += (name.empty() ? "" : ".") + std::string(k);
    YAML::Node node = find(root, key);
    if (!node) {
      if (required && problem.empty()) problem = name + ": missing";
      return T{};
    }
    try {
      return node.as<T>();
    } catch (const YAML::Exception&) {
      if (problem.empty()) problem = name + ": expected " + expected;
      return T{};
    }
  }
};

}  // namespace

const char* to_string(node_role role) {
  return role == node_role::primary ? "primary" : "secondary";
}

std::optional<cluster_id_bytes> parse_cluster_id(std::string_view hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != 16) return std::nullopt;
  cluster_id_bytes id{};
  std::copy(bytes->begin(), bytes->end(), id.begin());
  return id;
}

std::string to_yaml(const pairing_identity& identity) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "cluster_id" << YAML::Value << identity.cluster_id;
  out << YAML::Key << "role" << YAML::Value << to_string(identity.role);
  out << YAML::Key << "local" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "node_id" << YAML::Value << identity.local_node_id;
  out << YAML::Key << "name" << YAML::Value << identity.local_node_name;
  out << YAML::EndMap;
  out << YAML::Key << "peer" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "node_id" << YAML::Value << identity.peer_node_id;
  out << YAML::Key << "name" << YAML::Value << identity.peer_node_name;
  out << YAML::Key << "addresses" << YAML::Value << YAML::Flow << identity.peer_addresses;
  out << YAML::EndMap;
  out << YAML::Key << "paired_at" << YAML::Value << identity.paired_at;
  out << YAML::EndMap;
  return "# Written by lbha-replicatord / lbha-receive-config. Do not edit: use lbctl "
         "pair/unpair.\n" +
         std::string(out.c_str()) + "\n";
}

result<pairing_identity> parse_pairing(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return error(errc::garbled, e.what());
  }
  if (!root.IsMap()) return error(errc::garbled, "expected a YAML map");
  reader r{root, {}};
  pairing_identity id;
  id.cluster_id = r.get<std::string>({"cluster_id"}, "32 hex digits");
  const auto role = r.get<std::string>({"role"}, "primary or secondary");
  const auto local_id = r.get<std::uint64_t>({"local", "node_id"}, "a node id");
  id.local_node_name = r.get<std::string>({"local", "name"}, "a node name");
  const auto peer_id = r.get<std::uint64_t>({"peer", "node_id"}, "a node id");
  id.peer_node_name = r.get<std::string>({"peer", "name"}, "a node name");
  id.peer_addresses =
      r.get<std::vector<std::string>>({"peer", "addresses"}, "a list of addresses", false);
  id.paired_at = r.get<std::string>({"paired_at"}, "a time", false);
  if (!r.problem.empty()) return error(errc::garbled, r.problem);

  if (!parse_cluster_id(id.cluster_id))
    return error(errc::garbled, "cluster_id: expected 32 hex digits");
  if (role == "primary") {
    id.role = node_role::primary;
  } else if (role == "secondary") {
    id.role = node_role::secondary;
  } else {
    return error(errc::garbled, "role: expected primary or secondary, got '" + role + "'");
  }
  if (local_id == 0 || local_id > 0xffffffffu)
    return error(errc::garbled, "local.node_id: expected 1..4294967295");
  if (peer_id == 0 || peer_id > 0xffffffffu)
    return error(errc::garbled, "peer.node_id: expected 1..4294967295");
  id.local_node_id = static_cast<std::uint32_t>(local_id);
  id.peer_node_id = static_cast<std::uint32_t>(peer_id);
  return id;
}

result<std::optional<pairing_identity>> read_pairing(const state_files& files) {
  auto text = read_if_exists(files.pairing());
  if (!text) return text.error();
  if (!text.value()) return std::optional<pairing_identity>{};
  auto id = parse_pairing(*text.value());
  if (!id) return id.error().prefixed(files.pairing().string());
  return std::optional<pairing_identity>(std::move(id).value());
}

result<void> write_pairing(const state_files& files, const pairing_identity& identity) {
  return write_state_file(files.pairing(), to_yaml(identity), 0644);
}

result<std::optional<std::string>> read_peer_host_key(const state_files& files) {
  auto text = read_if_exists(files.peer_host_key());
  if (!text) return text.error();
  if (!text.value()) return std::optional<std::string>{};
  std::istringstream in(*text.value());
  std::string fingerprint;
  in >> fingerprint;
  if (fingerprint.rfind("SHA256:", 0) != 0)
    return garbled(files.peer_host_key(), "expected a SHA256: fingerprint");
  return std::optional<std::string>(fingerprint);
}

result<void> write_peer_host_key(const state_files& files, const std::string& fingerprint) {
  return write_state_file(files.peer_host_key(), fingerprint + "\n", 0644);
}

result<void> clear_pairing(const state_files& files) {
  for (const auto& path : {files.pairing(), files.heartbeat_key(), files.peer_host_key(),
                          files.pair_certificate(), files.pending_pairing()}) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return error(errc::unwritable, "cannot remove " + path.string() + ": " + ec.message());
  }
  return success();
}

}  // namespace lbha::state
