#include "replicator/pairing/config_history.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/logging.hpp"
#include "replicator/pairing/pairing_state.hpp"

namespace lbha::pairing {

namespace {

constexpr std::string_view header_prefix = "# lbha-history ";

// The value of `key=` in the header: up to the next " <word>=" or the end
// (summary, the last key, runs to the end of the line).
std::string header_value(std::string_view header, std::string_view key, bool to_end) {
  std::string needle(" ");
  needle.append(key).append("=");
  std::string padded(" ");
  padded.append(header);
  auto at = padded.find(needle);
  if (at == std::string::npos) return "";
  std::string_view rest = header.substr(at + needle.size() - 1);
  if (!to_end) rest = rest.substr(0, rest.find(' '));
  return std::string(rest);
}

// "00000000000000000042.yaml" -> 42; nullopt for any other name (temp files included).
std::optional<std::uint64_t> generation_of(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  if (name.size() != 25 || !name.ends_with(".yaml")) return std::nullopt;
  std::uint64_t generation = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + 20, generation);
  if (ec != std::errc{} || end != name.data() + 20) return std::nullopt;
  return generation;
}

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  std::replace(text.begin(), text.end(), '\r', ' ');
  return text;
}

}  // namespace

std::string summarize_change(const lbha::v1::ClusterConfig& before,
                             const lbha::v1::ClusterConfig& after) {
  std::map<std::string, std::string> old_services;
  for (const auto& vs : before.virtual_services())
    old_services[vs.label()] = vs.SerializeAsString();
  std::set<std::string> seen;
  std::string added, removed;
  int changed = 0;
  for (const auto& vs : after.virtual_services()) {
    seen.insert(vs.label());
    auto old = old_services.find(vs.label());
    if (old == old_services.end()) {
      added.append(added.empty() ? "+ " : ", ").append(vs.label());
    } else if (old->second != vs.SerializeAsString()) {
      ++changed;
    }
  }
  for (const auto& [label, _] : old_services) {
    if (!seen.contains(label)) removed.append(removed.empty() ? "- " : ", ").append(label);
  }
  std::vector<std::string> parts;
  if (!added.empty()) parts.push_back(added);
  if (!removed.empty()) parts.push_back(removed);
  if (changed > 0) {
    parts.push_back(std::to_string(changed) +
                    (changed == 1 ? " service changed" : " services changed"));
  }
  if (before.ha().SerializeAsString() != after.ha().SerializeAsString()) {
    parts.push_back("ha settings changed");
  }
  std::string summary;
  for (const auto& part : parts) {
    if (!summary.empty()) summary.append("; ");
    summary.append(part);
  }
  return summary.empty() ? "no service changes" : summary;
}

config_history::config_history(std::filesystem::path dir, std::size_t limit)
    : dir_(std::move(dir)), limit_(std::max<std::size_t>(limit, 1)) {}

std::filesystem::path config_history::dir_in(const std::filesystem::path& state_dir) {
  return state_dir / "history";
}

std::filesystem::path config_history::file_for(std::uint64_t generation) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu.yaml", static_cast<unsigned long long>(generation));
  return dir_ / name;
}

result<history_entry> config_history::record(const lbha::v1::ClusterConfig& config,
                                             const std::string& origin, const std::string& summary,
                                             const std::string& at) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) return error(errc::io, "cannot create " + dir_.string() + ": " + ec.message());
  history_entry entry;
  entry.generation = config.generation();
  entry.term = config.term();
  entry.origin = origin.empty() ? "commit" : one_line(origin);
  std::replace(entry.origin.begin(), entry.origin.end(), ' ', '_');
  entry.at = at;
  entry.summary = one_line(summary);
  entry.file = file_for(config.generation());
  std::string text(header_prefix);
  text.append("origin=").append(entry.origin).append(" at=").append(entry.at);
  text.append(" summary=").append(entry.summary).append("\n").append(config::to_yaml(config));
  if (auto written = write_file_atomically(entry.file, text, 0600); !written) {
    return error(errc::io,
                 "cannot write " + entry.file.string() + ": " + written.error().message());
  }
  // Prune: keep the newest `limit_` generations.
  std::vector<std::pair<std::uint64_t, std::filesystem::path>> kept;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    if (auto generation = generation_of(item.path())) kept.emplace_back(*generation, item.path());
  }
  std::sort(kept.begin(), kept.end());
  for (std::size_t i = 0; i + limit_ < kept.size(); ++i) {
    std::filesystem::remove(kept[i].second, ec);
  }
  return entry;
}

result<history_entry> config_history::read_entry(const std::filesystem::path& file,
                                                 lbha::v1::ClusterConfig* config) const {
  auto text = read_file(file);
  if (!text) return error(errc::io, file.string() + ": cannot read: " + text.error().message());
  const std::string& body = text.value();
  const auto eol = body.find('\n');
  const std::string_view header = std::string_view(body).substr(0, eol);
  if (!header.starts_with(header_prefix) || eol == std::string::npos) {
    return error(errc::invalid_config,
                 file.string() + ":1: not a history entry (no '# lbha-history' header line)");
  }
  // Line numbers in the config's errors count from the header line, as in the file.
  auto parsed = config::parse_cluster_config("\n" + body.substr(eol + 1), file.string());
  if (!parsed) return error(errc::invalid_config, parsed.error().message());
  const std::string_view fields = header.substr(header_prefix.size());
  history_entry entry;
  entry.generation = parsed.value().generation();
  entry.term = parsed.value().term();
  entry.origin = header_value(fields, "origin", false);
  entry.at = header_value(fields, "at", false);
  entry.summary = header_value(fields, "summary", true);
  entry.file = file;
  if (generation_of(file) != entry.generation) {
    return error(errc::invalid_config, file.string() + ": holds generation " +
                                           std::to_string(entry.generation) +
                                           ", not the one its name says");
  }
  if (config) *config = std::move(parsed).value();
  return entry;
}

config_history::listing config_history::list() const {
  listing out;
  std::error_code ec;
  if (!std::filesystem::exists(dir_, ec)) return out;
  std::vector<std::pair<std::uint64_t, std::filesystem::path>> files;
  for (const auto& item : std::filesystem::directory_iterator(dir_, ec)) {
    if (auto generation = generation_of(item.path())) files.emplace_back(*generation, item.path());
  }
  if (ec) out.problems.push_back("cannot list " + dir_.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const auto& [generation, file] : files) {
    auto entry = read_entry(file, nullptr);
    if (entry) {
      out.entries.push_back(std::move(entry).value());
    } else {
      out.problems.push_back("generation " + std::to_string(generation) +
                             " skipped: " + one_line(entry.error().message()));
    }
  }
  return out;
}

result<lbha::v1::ClusterConfig> config_history::load(std::uint64_t generation) const {
  const auto file = file_for(generation);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    auto kept = list().entries;
    std::string range = kept.empty() ? "none is kept"
                                     : "kept: " + std::to_string(kept.front().generation) + ".." +
                                           std::to_string(kept.back().generation);
    return error(errc::refused, "generation " + std::to_string(generation) +
                                    " is not in this node's history (" + dir_.string() + "; " +
                                    range + ")");
  }
  lbha::v1::ClusterConfig config;
  auto entry = read_entry(file, &config);
  if (!entry) return entry.error();
  return config;
}

void note_in_history(const std::filesystem::path& state_dir, const lbha::v1::ClusterConfig& config,
                     const std::string& origin, const std::string& summary) {
  config_history history(config_history::dir_in(state_dir));
  auto recorded = history.record(config, origin, summary, utc_now_text());
  if (!recorded) {
    get_logger("pairing")->warn("generation {} is in force but not in the history: {}",
                                config.generation(), recorded.error().message());
  }
}

}  // namespace lbha::pairing
