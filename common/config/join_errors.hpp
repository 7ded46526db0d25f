// All of a failed load's errors as one message, one per line by default.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.hpp"

namespace lbha::config {

std::string join_errors(const std::vector<config_error>& errors,
                        std::string_view separator = "\n");

}  // namespace lbha::config
