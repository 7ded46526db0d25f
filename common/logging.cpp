#include "common/logging.hpp"

#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace lbha {

namespace {
std::mutex& logger_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

std::shared_ptr<spdlog::logger> get_logger(const std::string& name) {
  std::lock_guard lock(logger_mutex());
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(spdlog::get_level());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  return logger;
}

bool parse_log_level(std::string_view text, spdlog::level::level_enum& level) {
  static constexpr std::string_view names[] = {"trace", "debug", "info",    "warn",
                                               "error", "critical", "off"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (text == names[i]) {
      level = static_cast<spdlog::level::level_enum>(i);
      return true;
    }
  }
  return false;
}

void set_log_level(spdlog::level::level_enum level) {
  std::lock_guard lock(logger_mutex());
  spdlog::set_level(level);  // applies to every registered logger and the default for new ones
}

}  // namespace lbha
