// Named spdlog loggers, one per component, all writing to stderr, or to the
// systemd journal when stderr is the journal's stream (a unit's default:
// systemd sets JOURNAL_STREAM to stderr's device:inode). There each record
// is sent with sd_journal_send: SYSLOG_IDENTIFIER is the logger's name
// (`journalctl -u lbha-proxyd -t proxy`), PRIORITY its level (`-p warning`).
//
// `--log-level` sets the level of every logger, existing and future. Secrets
// (passwords, keys) are never passed to a logger.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace lbha {

// Whether stderr is the journal's stream ($JOURNAL_STREAM names its device:inode).
bool stderr_is_journal();

// The logger called `name`, created on first use.
std::shared_ptr<spdlog::logger> get_logger(const std::string& name);

// Parses trace|debug|info|warn|error|critical|off. Returns false for anything else.
bool parse_log_level(std::string_view text, spdlog::level::level_enum& level);

// Sets the level of all loggers, present and future.
void set_log_level(spdlog::level::level_enum level);

}  // namespace lbha
