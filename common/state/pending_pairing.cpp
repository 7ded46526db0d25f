#include "common/state/pending_pairing.hpp"

#include <yaml-cpp/yaml.h>

#include "common/state/pairing_file.hpp"

namespace lbha::state {

std::string to_text(const pending_pairing& pending) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "cluster_id" << YAML::Value << pending.cluster_id;
  out << YAML::Key << "peer_fingerprint" << YAML::Value << pending.peer_fingerprint;
  std::string key_line = to_text(std::vector<heartbeat_key>{pending.key});
  key_line = key_line.substr(key_line.find('\n') + 1);  // drop the comment
  while (!key_line.empty() && key_line.back() == '\n') key_line.pop_back();
  out << YAML::Key << "heartbeat_key" << YAML::Value << key_line;
  out << YAML::Key << "pair_certificate" << YAML::Value << YAML::Literal
      << to_text(pending.certificate);
  out << YAML::EndMap;
  return "# A pairing offered by lbctl pair and not finished yet (lbha-replicatord). Secret.\n" +
         std::string(out.c_str()) + "\n";
}

result<pending_pairing> parse_pending_pairing(std::string_view text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception&) {
    return error(errc::garbled, "not YAML");
  }
  if (!root.IsMap()) return error(errc::garbled, "expected a YAML map");
  auto get = [&](const char* key) -> std::optional<std::string> {
    const YAML::Node& map = root;
    const YAML::Node node = map[key];
    if (!node || !node.IsScalar()) return std::nullopt;
    return node.as<std::string>();
  };
  pending_pairing pending;
  auto cluster_id = get("cluster_id");
  if (!cluster_id || !parse_cluster_id(*cluster_id))
    return error(errc::garbled, "cluster_id: expected 32 hex digits");
  pending.cluster_id = *cluster_id;
  auto fingerprint = get("peer_fingerprint");
  if (!fingerprint || fingerprint->rfind("SHA256:", 0) != 0)
    return error(errc::garbled, "peer_fingerprint: expected a SHA256: fingerprint");
  pending.peer_fingerprint = *fingerprint;
  auto key_line = get("heartbeat_key");
  if (!key_line) return error(errc::garbled, "heartbeat_key: missing");
  auto keys = parse_heartbeat_keys(*key_line);
  if (!keys || keys.value().size() != 1)
    return error(errc::garbled, "heartbeat_key: expected one '<id> <hex secret>'");
  pending.key = keys.value().front();
  auto certificate_text = get("pair_certificate");
  if (!certificate_text) return error(errc::garbled, "pair_certificate: missing");
  auto certificate = parse_pair_certificate(*certificate_text);
  if (!certificate) return certificate.error().prefixed("pair_certificate");
  pending.certificate = std::move(certificate).value();
  return pending;
}

result<std::optional<pending_pairing>> read_pending_pairing(const state_files& files) {
  const auto path = files.pending_pairing();
  auto text = read_secret_if_exists(path);
  if (!text) return text.error();
  if (!text.value()) return std::optional<pending_pairing>{};
  auto pending = parse_pending_pairing(*text.value());
  if (!pending) return pending.error().prefixed(path.string());
  return std::optional<pending_pairing>(std::move(pending).value());
}

result<void> write_pending_pairing(const state_files& files, const pending_pairing& pending) {
  return write_state_file(files.pending_pairing(), to_text(pending), 0600);
}

result<void> remove_pending_pairing(const state_files& files) {
  std::error_code ec;
  std::filesystem::remove(files.pending_pairing(), ec);
  if (ec) {
    return error(errc::unwritable,
                 "cannot remove " + files.pending_pairing().string() + ": " + ec.message());
  }
  return success();
}

}  // namespace lbha::state
