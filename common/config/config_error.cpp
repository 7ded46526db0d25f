#include "common/config/config.hpp"
#include "common/config/join_errors.hpp"

namespace lbha::config {

std::string config_error::to_string() const {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line);
  if (!text.empty()) text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

std::string join_errors(const std::vector<config_error>& errors, std::string_view separator) {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += separator;
    out += e.to_string();
  }
  return out;
}

}  // namespace lbha::config
