#include "common/config/config.hpp"
#include "common/config/join_errors.hpp"
#include "common/error_category.hpp"

namespace lbha::config {

namespace {

std::string_view describe(errc e) {
  switch (e) {
    case errc::unreadable:
      return "cannot read the config file";
    case errc::invalid:
      return "the config is invalid";
  }
  return "unknown config error";
}

}  // namespace

const std::error_category& config_category() {
  static const enum_category<errc> instance("lbha.config", describe);
  return instance;
}

error to_error(const std::vector<config_error>& errors) {
  return error(errc::invalid, join_errors(errors));
}

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
