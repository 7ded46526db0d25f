// Crash-safe file replacement.
//
// write_file_atomically writes a temp file `.<name>.tmp.<16 random hex>` in
// the target's directory, fsyncs it, renames it over `path` and fsyncs the
// directory, so a reader (or a node after power loss) sees either the whole
// old file or the whole new one, never a torn one. The temp is created with
// O_EXCL|O_NOFOLLOW under an unguessable name: a file or symlink planted in
// the directory is never opened, so root's writes cannot be redirected.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace lbha {

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode = 0644);

namespace detail {
// write_file_atomically with the random suffixes drawn from `next_suffix`
// (16 lowercase hex digits each): lets a test make names collide.
result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode, const std::function<std::string()>& next_suffix);
}  // namespace detail

// True for a name write_file_atomically gives its temp files.
bool is_atomic_temp_name(std::string_view name);

// Removes the temp files a crash left in `dir`: regular files whose name is
// ours, last written at least `min_age` ago (a younger one may be another
// daemon's write in progress: the daemons share the config and state dirs).
// A symlink or anything else with such a name is left alone (unlinkat of the
// name itself; nothing is followed). Returns how many were removed.
inline constexpr std::chrono::seconds stale_temp_age{60};
result<int> remove_stale_temps(const std::filesystem::path& dir,
                               std::chrono::seconds min_age = stale_temp_age);

// Reads a whole file. Errors carry errno.
result<std::string> read_file(const std::filesystem::path& path);

}  // namespace lbha
