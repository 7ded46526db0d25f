// Small helpers for to_yaml(): values written so that the reader reads them
// back unchanged (durations in their shortest exact unit, enum spellings from
// names.hpp, strings quoted when YAML would otherwise read them as null).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <string>

#include "common/config/names.hpp"
#include "common/config/values.hpp"

namespace lbha::config {

inline void write_string(YAML::Emitter& out, const char* key, const std::string& value) {
  out << YAML::Key << key << YAML::Value;
  if (value.empty() || value == "~" || value == "null" || value == "Null" || value == "NULL") {
    out << YAML::DoubleQuoted;
  }
  out << value;
}

inline void write_duration(YAML::Emitter& out, const char* key, uint64_t ms) {
  out << YAML::Key << key << YAML::Value << format_duration_ms(ms);
}

// An UNSPECIFIED (or unknown) enum is left out, so it reads back as unset.
inline void write_enum(YAML::Emitter& out, const char* key, const names::table& table, int number) {
  const std::string name = names::name_of(table, number);
  if (!name.empty()) out << YAML::Key << key << YAML::Value << name;
}

}  // namespace lbha::config
