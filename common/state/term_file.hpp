// <state>/heartbeat.term: heartbeatd's persisted term, one decimal number
// (trailing newline and spaces allowed), written atomically before it takes
// over, so a restarted node never goes back to a term it has already used.
#pragma once

#include <cstdint>
#include <filesystem>

#include "common/result.hpp"
#include "common/state/state_files.hpp"

namespace lbha::state {

// 0 when the file does not exist; errc::garbled or errc::unreadable otherwise.
result<std::uint64_t> read_term(const std::filesystem::path& path);
result<void> write_term(const std::filesystem::path& path, std::uint64_t term);

}  // namespace lbha::state
