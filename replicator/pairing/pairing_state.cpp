#include "replicator/pairing/pairing_state.hpp"

#include <cerrno>
#include <ctime>
#include <sstream>

#include <openssl/rand.h>
#include <yaml-cpp/yaml.h>

#include "common/atomic_file.hpp"

namespace lbha::pairing {

namespace {

void random_bytes(std::uint8_t* data, std::size_t size) {
  // Without randomness there is no safe key to hand out: a broken invariant.
  if (RAND_bytes(data, static_cast<int>(size)) != 1) {
    throw std::runtime_error("RAND_bytes failed: no secure randomness available");
  }
}

outcome<std::optional<std::string>> read_optional(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return success(std::optional<std::string>{});
  auto text = read_file(path);
  if (!text) return failure("cannot read " + path.string() + ": " + text.error().message());
  return success(std::optional<std::string>(std::move(text).value()));
}

outcome<void> write(const std::filesystem::path& path, const std::string& content, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return failure("cannot create " + path.parent_path().string() + ": " + ec.message());
  auto written = write_file_atomically(path, content, mode);
  if (!written) return failure("cannot write " + path.string() + ": " + written.error().message());
  return success();
}

bool from_hex(const std::string& hex, std::uint8_t* out, std::size_t size) {
  if (hex.size() != size * 2) return false;
  for (std::size_t i = 0; i < size; ++i) {
    unsigned value = 0;
    for (int j = 0; j < 2; ++j) {
      char c = hex[i * 2 + j];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= c - '0';
      else if (c >= 'a' && c <= 'f') value |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') value |= c - 'A' + 10;
      else return false;
    }
    out[i] = static_cast<std::uint8_t>(value);
  }
  return true;
}

}  // namespace

const char* to_string(node_role role) {
  return role == node_role::primary ? "primary" : "secondary";
}

std::string to_hex(const std::uint8_t* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 0xf]);
  }
  return out;
}

std::string generate_cluster_id() {
  std::array<std::uint8_t, 16> id{};
  random_bytes(id.data(), id.size());
  return to_hex(id.data(), id.size());
}

heartbeat_key generate_heartbeat_key() {
  heartbeat_key key;
  do {
    random_bytes(reinterpret_cast<std::uint8_t*>(&key.key_id), sizeof(key.key_id));
  } while (key.key_id == 0);  // 0 means "no key" on the wire
  random_bytes(key.key.data(), key.key.size());
  return key;
}

std::string to_yaml(const pairing_identity& identity) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "cluster_id" << YAML::Value << identity.cluster_id;
  out << YAML::Key << "role" << YAML::Value << to_string(identity.role);
  // heartbeatd reads cluster_id and this top-level node_id (heartbeatd/pairing.hpp).
  out << YAML::Key << "node_id" << YAML::Value << identity.local_node_id;
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
  return "# Written by lbha-replicatord / lbha-receive-config. Do not edit: use lbctl pair/unpair.\n" +
         std::string(out.c_str()) + "\n";
}

outcome<pairing_identity> parse_pairing_identity(const std::string& text) {
  try {
    YAML::Node root = YAML::Load(text);
    pairing_identity id;
    id.cluster_id = root["cluster_id"].as<std::string>();
    auto role = root["role"].as<std::string>();
    if (role == "primary") id.role = node_role::primary;
    else if (role == "secondary") id.role = node_role::secondary;
    else return failure("pairing: role: expected primary or secondary, got '" + role + "'");
    id.local_node_id = root["local"]["node_id"].as<std::uint32_t>();
    id.local_node_name = root["local"]["name"].as<std::string>();
    id.peer_node_id = root["peer"]["node_id"].as<std::uint32_t>();
    id.peer_node_name = root["peer"]["name"].as<std::string>();
    if (root["peer"]["addresses"]) {
      id.peer_addresses = root["peer"]["addresses"].as<std::vector<std::string>>();
    }
    if (root["paired_at"]) id.paired_at = root["paired_at"].as<std::string>();
    if (id.cluster_id.empty()) return failure("pairing: cluster_id is empty");
    return id;
  } catch (const YAML::Exception& e) {
    return failure(std::string("pairing: ") + e.what());
  }
}

// heartbeatd's keyring format (heartbeatd/keyring.hpp): one "<key id> <hex secret>" per line.
std::string to_text(const heartbeat_key& key) {
  return "# HMAC-SHA256 heartbeat key shared by the pair (written by lbctl pair). Secret: mode "
         "0600.\n" +
         std::to_string(key.key_id) + " " + to_hex(key.key.data(), key.key.size()) + "\n";
}

outcome<heartbeat_key> parse_heartbeat_key(const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id_text, hex, extra;
    fields >> id_text;
    if (id_text.empty() || id_text[0] == '#') continue;
    fields >> hex >> extra;
    heartbeat_key key;
    try {
      std::size_t used = 0;
      auto id = std::stoull(id_text, &used);
      if (used != id_text.size() || id == 0 || id > 0xffffffffull) throw std::out_of_range("id");
      key.key_id = static_cast<std::uint32_t>(id);
    } catch (const std::exception&) {
      return failure("heartbeat.key: key id must be a number 1..4294967295");
    }
    // The key itself never goes into a message.
    if (!extra.empty() || !from_hex(hex, key.key.data(), key.key.size())) {
      return failure("heartbeat.key: expected '<key id> <64 hex digits>'");
    }
    return key;
  }
  return failure("heartbeat.key: no key");
}

outcome<std::optional<pairing_identity>> read_pairing_identity(const state_files& files) {
  auto text = read_optional(files.pairing());
  if (!text) return failure(text.error());
  if (!text.value()) return std::optional<pairing_identity>{};
  auto id = parse_pairing_identity(*text.value());
  if (!id) return failure(files.pairing().string() + ": " + id.error());
  return std::optional<pairing_identity>(std::move(id).value());
}

outcome<std::optional<heartbeat_key>> read_heartbeat_key(const state_files& files) {
  auto text = read_optional(files.heartbeat_key());
  if (!text) return failure(text.error());
  if (!text.value()) return std::optional<heartbeat_key>{};
  auto key = parse_heartbeat_key(*text.value());
  if (!key) return failure(files.heartbeat_key().string() + ": " + key.error());
  return std::optional<heartbeat_key>(key.value());
}

outcome<std::optional<std::string>> read_pinned_host_key(const state_files& files) {
  auto text = read_optional(files.peer_host_key());
  if (!text) return failure(text.error());
  if (!text.value()) return success(std::optional<std::string>{});
  std::istringstream in(*text.value());
  std::string fingerprint;
  in >> fingerprint;
  if (fingerprint.rfind("SHA256:", 0) != 0) {
    return failure(files.peer_host_key().string() + ": expected a SHA256: fingerprint");
  }
  return success(std::optional<std::string>(fingerprint));
}

outcome<void> write_pairing_identity(const state_files& files, const pairing_identity& identity) {
  return write(files.pairing(), to_yaml(identity), 0644);
}

outcome<void> write_heartbeat_key(const state_files& files, const heartbeat_key& key) {
  return write(files.heartbeat_key(), to_text(key), 0600);
}

outcome<void> write_pinned_host_key(const state_files& files, const std::string& fingerprint) {
  return write(files.peer_host_key(), fingerprint + "\n", 0644);
}

outcome<void> clear_pairing(const state_files& files) {
  for (const auto& path : {files.pairing(), files.heartbeat_key(), files.peer_host_key()}) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) return failure("cannot remove " + path.string() + ": " + ec.message());
  }
  return success();
}

std::string utc_now_text() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lbha::pairing
