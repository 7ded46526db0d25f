// yaml_reader: walks a YAML document while building a proto message,
// collecting every error with its key path and line.
//
// Internal to common/config. The reader remembers the line of every key it
// saw (the key-path -> line map), so that errors found later by validate(),
// which only sees the proto message, can still point at the offending line;
// and it remembers which keys were present, so the loader fills defaults only
// for absent keys (an explicit `rise: 0` must stay 0 and be reported).
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config/config.hpp"

// A yaml_reader::field reader that stores the value `expr` reads from node
// `n` at key path `p` with `setter`, unless reading failed (already reported).
// A macro because proto setters are overloaded and cannot be passed by name.
#define LBHA_CONFIG_STORE(expr, setter)            \
  [&](const YAML::Node& n, const std::string& p) { \
    if (auto v = (expr)) setter(*v);               \
  }

namespace lbha::config {

// "a.b" / "a[3]": the dotted key paths used in every error.
std::string join_key(const std::string& path, std::string_view key);
std::string index_key(const std::string& path, size_t index);

class yaml_reader {
 public:
  explicit yaml_reader(std::string file) : file_(std::move(file)) {}

  struct field {
    const char* key;
    std::function<void(const YAML::Node& value, const std::string& path)> read;
  };
  // Reads a map whose keys must all be in `fields`. A null node (an empty
  // value) counts as an empty map. Unknown and repeated keys are errors.
  void read_map(const YAML::Node& node, const std::string& path, const std::vector<field>& fields);

  // Calls `read` for every item of a list; false (and an error) if not a list.
  void read_list(const YAML::Node& node, const std::string& path,
                 const std::function<void(const YAML::Node& item, const std::string& path)>& read);

  // Scalars. Each returns nullopt after reporting an error.
  std::optional<std::string> string(const YAML::Node& node, const std::string& path);
  std::optional<uint64_t> unsigned_int(const YAML::Node& node, const std::string& path,
                                       uint64_t max);
  std::optional<uint32_t> uint32(const YAML::Node& node, const std::string& path);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  std::optional<uint32_t> duration_ms(const YAML::Node& node, const std::string& path);
  std::optional<uint32_t> duration_s(const YAML::Node& node, const std::string& path);
  // `names` maps YAML spellings to enum numbers.
  std::optional<int> enumeration(const YAML::Node& node, const std::string& path,
                                 const std::vector<std::pair<std::string, int>>& names);

  void error(const std::string& path, const YAML::Node& node, std::string message);
  void note_line(const std::string& path, const YAML::Node& node);

  // True when the key was written in the file (even if its value was bad).
  bool present(const std::string& path) const { return lines_.contains(path); }
  // True when reading the key (or something under it) failed.
  bool failed(const std::string& path) const { return failed_.contains(path); }
  // The line of `path`, or of its nearest written ancestor; 0 if none.
  int line_of(std::string path) const;
  // True when `path` is, contains or lies under a key whose reading failed:
  // validate()'s opinion of such a key would only repeat the first error.
  bool overlaps_failure(const std::string& path) const;

  const std::string& file() const { return file_; }
  std::vector<config_error>& errors() { return errors_; }

 private:
  std::string file_;
  std::map<std::string, int> lines_;
  std::set<std::string> failed_;
  std::vector<config_error> errors_;
};

// Presence of keys as seen by apply_defaults: with a reader, a key written in
// the file is set even when zero; without one (a config built in code), a
// zero field is unset.
struct presence {
  const yaml_reader* reader = nullptr;
  // A field gets its default when this returns false and the field is zero.
  bool written(const std::string& path) const {
    return reader != nullptr && reader->present(path) && !reader->failed(path);
  }
  bool from_file() const { return reader != nullptr; }
};

void apply_defaults(lbha::v1::ClusterConfig& config, const presence& keys);
void apply_defaults(lbha::v1::NodeConfig& config, const presence& keys);

// Runs the pipeline shared by both files: YAML syntax, `read` (which fills
// the message), defaults for absent keys, validate(), then lines for
// validate()'s errors from the key-path -> line map. Errors come out in file order.
// A parse's outcome before it becomes a result: the message, or every error.
template <typename Message>
struct parsed {
  std::optional<Message> value;  // set only when errors is empty
  std::vector<config_error> errors;

  result<Message> to_result() && {
    if (!errors.empty()) return to_error(errors);
    return std::move(*value);
  }
};

template <typename Message>
parsed<Message> parse_with(
    std::string_view yaml, std::string_view file_name,
    const std::function<void(yaml_reader&, const YAML::Node&, Message&)>& read) {
  parsed<Message> result;
  yaml_reader reader{std::string(file_name)};
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 0 : e.mark.line + 1;
    result.errors.push_back({std::string(file_name), line, "", "YAML syntax error: " + e.msg});
    return result;
  }
  Message message;
  reader.note_line("", root);  // missing top-level keys point at the document's first line
  read(reader, root, message);
  apply_defaults(message, presence{&reader});
  for (auto& error : validate(message, file_name)) {
    if (reader.overlaps_failure(error.key)) continue;
    error.line = reader.line_of(error.key);
    reader.errors().push_back(std::move(error));
  }
  result.errors = std::move(reader.errors());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const config_error& a, const config_error& b) { return a.line < b.line; });
  if (result.errors.empty()) result.value = std::move(message);
  return result;
}

}  // namespace lbha::config
