// Crash-safe file replacement.
//
// write_file_atomically writes `path.tmp.<pid>`, fsyncs it, renames it over
// `path` and fsyncs the directory, so a reader (or a node after power loss)
// sees either the whole old file or the whole new one, never a torn one.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/result.hpp"

namespace lbha {

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode = 0644);

// Reads a whole file. Errors carry errno.
result<std::string> read_file(const std::filesystem::path& path);

}  // namespace lbha
