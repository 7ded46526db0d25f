#include "common/config/reader.hpp"

#include <algorithm>
#include <limits>

#include "common/config/values.hpp"

namespace lbha::config {

namespace {

// 1-based line of a node; yaml-cpp's marks are 0-based and -1 when unknown.
int line_number(const YAML::Node& node) {
  const int line = node.Mark().line;
  return line < 0 ? 0 : line + 1;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    default:
      return "an undefined value";
  }
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

bool is_ancestor_or_self(const std::string& ancestor, const std::string& path) {
  if (path.size() < ancestor.size() || path.compare(0, ancestor.size(), ancestor) != 0) {
    return false;
  }
  if (path.size() == ancestor.size() || ancestor.empty()) return true;
  const char next = path[ancestor.size()];
  return next == '.' || next == '[';
}

}  // namespace

std::string join_key(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string index_key(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

void yaml_reader::error(const std::string& path, const YAML::Node& node, std::string message) {
  int line = line_number(node);
  if (line == 0) line = line_of(path);
  errors_.push_back({file_, line, path, std::move(message)});
  failed_.insert(path);
}

void yaml_reader::note_line(const std::string& path, const YAML::Node& node) {
  const int line = line_number(node);
  if (line > 0) lines_.emplace(path, line);
}

int yaml_reader::line_of(std::string path) const {
  while (true) {
    if (auto it = lines_.find(path); it != lines_.end()) return it->second;
    if (path.empty()) return 0;
    const auto cut = path.find_last_of(".[");
    path.resize(cut == std::string::npos ? 0 : cut);
  }
}

bool yaml_reader::overlaps_failure(const std::string& path) const {
  return std::any_of(failed_.begin(), failed_.end(), [&](const std::string& failure) {
    return is_ancestor_or_self(failure, path) || is_ancestor_or_self(path, failure);
  });
}

void yaml_reader::read_map(const YAML::Node& node, const std::string& path,
                           const std::vector<field>& fields) {
  if (node.IsNull()) return;
  if (!node.IsMap()) {
    error(path, node, "expected a map of keys, got " + describe(node));
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar()) {
      error(path, key_node, "keys must be plain words, got " + describe(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    const std::string key_path = join_key(path, key);
    if (!seen.insert(key).second) {
      error(key_path, key_node, "duplicate key '" + key + "'");
      continue;
    }
    auto it =
        std::find_if(fields.begin(), fields.end(), [&](const field& f) { return key == f.key; });
    if (it == fields.end()) {
      std::string message = "unknown key '" + key + "'";
      const field* closest = nullptr;
      size_t best = 3;  // suggest only near misses
      for (const auto& f : fields) {
        const std::string_view known = f.key;
        // A near miss ("intervall") or an abbreviation ("prio") of a known key.
        const bool abbreviation = key.size() >= 3 && known.starts_with(key);
        const size_t distance = abbreviation ? 1 : edit_distance(key, known);
        if (distance < best) {
          best = distance;
          closest = &f;
        }
      }
      if (closest != nullptr) message += " (did you mean '" + std::string(closest->key) + "'?)";
      error(key_path, key_node, std::move(message));
      continue;
    }
    note_line(key_path, key_node);
    it->read(entry.second, key_path);
  }
}

void yaml_reader::read_list(
    const YAML::Node& node, const std::string& path,
    const std::function<void(const YAML::Node& item, const std::string& path)>& read) {
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    error(path, node, "expected a list, got " + describe(node));
    return;
  }
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string item_path = index_key(path, i);
    note_line(item_path, node[i]);
    read(node[i], item_path);
  }
}

std::optional<std::string> yaml_reader::string(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    error(path, node, "expected a string, got " + describe(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<uint64_t> yaml_reader::unsigned_int(const YAML::Node& node, const std::string& path,
                                                  uint64_t max) {
  if (!node.IsScalar()) {
    error(path, node, "expected a number, got " + describe(node));
    return std::nullopt;
  }
  const std::string& text = node.Scalar();
  if (!text.empty() && text.front() == '-' && parse_unsigned(std::string_view(text).substr(1))) {
    error(path, node, "must not be negative, got " + text);
    return std::nullopt;
  }
  auto value = parse_unsigned(text);
  if (!value) {
    error(path, node, "expected a whole number, got " + describe(node));
    return std::nullopt;
  }
  if (*value > max) {
    error(path, node, "must be at most " + std::to_string(max) + ", got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> yaml_reader::uint32(const YAML::Node& node, const std::string& path) {
  auto value = unsigned_int(node, path, std::numeric_limits<uint32_t>::max());
  if (!value) return std::nullopt;
  return static_cast<uint32_t>(*value);
}

std::optional<bool> yaml_reader::boolean(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) {
    if (auto value = parse_bool(node.Scalar())) return value;
  }
  error(path, node, "expected true or false, got " + describe(node));
  return std::nullopt;
}

std::optional<uint32_t> yaml_reader::duration_ms(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) {
    error(path, node, "expected a duration such as 100ms, 2s, 5m or 1h, got " + describe(node));
    return std::nullopt;
  }
  auto parsed = parse_duration_ms(node.Scalar());
  if (!parsed.ms) {
    error(path, node, parsed.error);
    return std::nullopt;
  }
  return static_cast<uint32_t>(*parsed.ms);
}

std::optional<uint32_t> yaml_reader::duration_s(const YAML::Node& node, const std::string& path) {
  auto ms = duration_ms(node, path);
  if (!ms) return std::nullopt;
  if (*ms % 1000 != 0) {
    error(path, node, "must be whole seconds, got " + node.Scalar());
    return std::nullopt;
  }
  return *ms / 1000;
}

std::optional<int> yaml_reader::enumeration(const YAML::Node& node, const std::string& path,
                                            const std::vector<std::pair<std::string, int>>& names) {
  std::string choices;
  for (const auto& [name, number] : names) {
    choices += (choices.empty() ? "" : "|") + name;
  }
  if (node.IsScalar()) {
    for (const auto& [name, number] : names) {
      if (node.Scalar() == name) return number;
    }
  }
  error(path, node, "expected one of " + choices + ", got " + describe(node));
  return std::nullopt;
}

}  // namespace lbha::config
