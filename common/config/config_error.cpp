#include "common/config/config.hpp"

namespace lbha::config {

std::string config_error::to_string() const {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line);
  if (!text.empty()) text += ": ";
  if (!key.empty()) text += key + ": ";
  return text + message;
}

}  // namespace lbha::config
