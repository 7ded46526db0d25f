#include "cli/render.hpp"

#include <cstdio>

#include "common/config/names.hpp"

namespace lbha::cli {

std::string protocol_text(const v1::VirtualService& service) {
  return config::names::name_of(config::names::protocol, service.protocol()) +
         (service.transparent() ? " transparent" : "");
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void print_errors(std::ostream& out, const std::vector<config::config_error>& errors) {
  for (const auto& error : errors) out << error.to_string() << "\n";
}

std::string errors_json(const std::vector<config::config_error>& errors) {
  std::string out = "[";
  for (size_t i = 0; i < errors.size(); ++i) {
    const auto& e = errors[i];
    out += (i == 0 ? "" : ", ");
    out += "{\"file\": " + json_string(e.file) + ", \"line\": " + std::to_string(e.line) +
           ", \"key\": " + json_string(e.key) + ", \"message\": " + json_string(e.message) + "}";
  }
  return out + "]";
}

}  // namespace lbha::cli
