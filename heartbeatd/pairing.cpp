#include "heartbeatd/pairing.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>

#include "common/atomic_file.hpp"

namespace lbha::heartbeat {

std::optional<cluster_id> parse_cluster_id(const std::string& hex) {
  if (hex.size() != 32) return std::nullopt;
  cluster_id id{};
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc{} || p != hex.data() + 2 * i + 2) return std::nullopt;
    id[i] = static_cast<std::uint8_t>(v);
  }
  return id;
}

std::optional<identity> load_pairing(const std::filesystem::path& path, std::string& error) {
  error.clear();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  try {
    YAML::Node doc = YAML::LoadFile(path.string());
    identity id;
    auto cluster = parse_cluster_id(doc["cluster_id"].as<std::string>(""));
    if (!cluster) {
      error = path.string() + ": cluster_id must be 32 hex digits";
      return std::nullopt;
    }
    id.cluster = *cluster;
    const auto node = doc["node_id"].as<std::uint64_t>(0);
    if (node == 0 || node > 0xffffffffu) {
      error = path.string() + ": node_id must be 1..4294967295";
      return std::nullopt;
    }
    id.node_id = static_cast<std::uint32_t>(node);
    return id;
  } catch (const YAML::Exception& e) {
    error = path.string() + ": " + e.what();
    return std::nullopt;
  }
}

result<std::uint64_t> load_term(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::uint64_t{0};
  auto text = read_file(path);
  if (!text) return text.error();
  std::string s = text.value();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::uint64_t term = 0;
  auto [p, err] = std::from_chars(s.data(), s.data() + s.size(), term);
  if (err != std::errc{} || p != s.data() + s.size() || s.empty())
    return std::make_error_code(std::errc::invalid_argument);
  return term;
}

result<void> save_term(const std::filesystem::path& path, std::uint64_t term) {
  return write_file_atomically(path, std::to_string(term) + "\n", 0644);
}

}  // namespace lbha::heartbeat
