// Output helpers shared by lbctl's commands: JSON strings and config errors.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"

namespace lbha::cli {

// A virtual service's PROTOCOL column (lbctl status, vip list): "tcp", with
// " transparent" for a TProxy service.
std::string protocol_text(const v1::VirtualService& service);

// A JSON string literal, quotes included.
std::string json_string(std::string_view text);

// One line per error: "file:line: key: message".
void print_errors(std::ostream& out, const std::vector<config::config_error>& errors);

// [{"file": ..., "line": ..., "key": ..., "message": ...}, ...]
std::string errors_json(const std::vector<config::config_error>& errors);

}  // namespace lbha::cli
