#include "common/logging.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

namespace lbha {

namespace {
std::mutex& logger_mutex() {
  static std::mutex m;
  return m;
}
}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

std::shared_ptr<spdlog::logger> get_logger(const std::string& name) {
  std::lock_guard lock(logger_mutex());
  if (auto existing = spdlog::get(name)) return existing;
  // Decided once: stderr does not change under a running daemon.
  static const bool journal = stderr_is_journal();
  std::shared_ptr<spdlog::logger> logger;
  if (journal) {
    // Structured records: SYSLOG_IDENTIFIER is the logger's name, PRIORITY its
    // level; the journal adds the time, _PID and _SYSTEMD_UNIT itself.
    logger = spdlog::systemd_logger_mt(name);
  } else {
    logger = spdlog::stderr_color_mt(name);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%n] %v");
  }
  logger->set_level(spdlog::get_level());
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
