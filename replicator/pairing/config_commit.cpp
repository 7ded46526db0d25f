#include "replicator/pairing/config_commit.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string_view>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/config/join_errors.hpp"

namespace lbha::pairing {


lbha::v1::ClusterConfig empty_cluster_config() {
  lbha::v1::ClusterConfig config;
  config::apply_defaults(config);
  config.set_generation(0);
  config.set_term(0);
  return config;
}

result<lbha::v1::ClusterConfig> prepare_commit(const lbha::v1::ClusterConfig& current,
                                               lbha::v1::ClusterConfig proposed,
                                               std::uint64_t primary_term) {
  config::apply_defaults(proposed);
  proposed.set_generation(current.generation() + 1);
  proposed.set_term(std::max(current.term(), primary_term));
  auto errors = config::validate(proposed, "cluster.yaml");
  if (!errors.empty()) return error(errc::invalid_config, config::join_errors(errors));
  return proposed;
}

result<void> check_incoming(const lbha::v1::ClusterConfig& current,
                            const lbha::v1::ClusterConfig& incoming) {
  if (incoming.term() < current.term()) {
    return error(errc::refused, "refused: config term " + std::to_string(incoming.term()) +
                                    " is older than this node's term " +
                                    std::to_string(current.term()));
  }
  // A higher term supersedes whatever this node holds, even an equal or higher
  // generation: that was committed under the old authority before a take-over.
  if (incoming.term() == current.term() && incoming.generation() <= current.generation()) {
    return error(errc::refused, "refused: config generation " +
                                    std::to_string(incoming.generation()) +
                                    " is not newer than this node's generation " +
                                    std::to_string(current.generation()));
  }
  auto errors = config::validate(incoming, "cluster.yaml");
  if (!errors.empty())
    return error(errc::invalid_config, "refused: invalid config:\n" + config::join_errors(errors));
  return success();
}

std::filesystem::path cluster_config_path(const std::filesystem::path& config_dir) {
  return config_dir / "cluster.yaml";
}

result<lbha::v1::ClusterConfig> load_cluster(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return empty_cluster_config();
  auto loaded = config::load_cluster_config(path);
  if (!loaded) return loaded.error();  // common/config's errc
  return std::move(loaded).value();
}

namespace {

// "<key>: <digits>" at column 0, optionally followed by spaces and a comment.
std::optional<std::uint64_t> top_level_number(std::string_view line, std::string_view key) {
  if (line.substr(0, key.size()) != key || line.substr(key.size(), 1) != ":") return std::nullopt;
  line.remove_prefix(key.size() + 1);
  while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), value);
  if (ec != std::errc{} || end == line.data()) return std::nullopt;
  std::string_view rest(end, static_cast<std::size_t>(line.data() + line.size() - end));
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\r')) rest.remove_prefix(1);
  if (!rest.empty() && rest.front() != '#') return std::nullopt;
  return value;
}

}  // namespace

result<lbha::v1::ClusterConfig> load_cluster_header(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return empty_cluster_config();
  auto text = read_file(path);
  if (!text) return load_cluster(path);
  std::optional<std::uint64_t> generation, term;
  int generation_lines = 0, term_lines = 0;
  std::string_view rest(text.value());
  while (!rest.empty()) {
    auto eol = rest.find('\n');
    auto line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (line.rfind("generation", 0) == 0) {
      ++generation_lines;
      generation = top_level_number(line, "generation");
    } else if (line.rfind("term", 0) == 0) {
      ++term_lines;
      term = top_level_number(line, "term");
    }
  }
  if (generation_lines != 1 || term_lines != 1 || !generation || !term) return load_cluster(path);
  lbha::v1::ClusterConfig header;
  header.set_generation(*generation);
  header.set_term(*term);
  return header;
}

result<void> store_cluster(const std::filesystem::path& path,
                           const lbha::v1::ClusterConfig& config) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec)
    return error(errc::io, "cannot create " + path.parent_path().string() + ": " + ec.message());
  auto written = write_file_atomically(path, config::to_yaml(config), 0644);
  if (!written)
    return error(errc::io, "cannot write " + path.string() + ": " + written.error().message());
  return success();
}

}  // namespace lbha::pairing
