// StrictModes for the files a root daemon acts on (as sshd checks
// authorized_keys): node.yaml says which hook scripts root runs, so whoever
// can change node.yaml, a hook, or a directory on their path can run code as
// root. Such a file is trusted only when it and every directory above it are
// owned by root (or by the daemon's own uid, so an unprivileged test run works)
// and are not group- or world-writable. A world-writable directory with the
// sticky bit (/tmp, 1777) is allowed: only an entry's owner (checked too) or root
// can rename or remove it.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/result.hpp"

namespace lbha {

// Refuses `path` (what says what it is: "node.yaml", "notify.on_active hook")
// with a sentence naming the file and the fix ("chown root ...", "chmod go-w ...").
// Symlinks are resolved; the directories of both the given and the resolved
// path are checked.
result<void> check_trusted_file(const std::filesystem::path& path, std::string_view what);

}  // namespace lbha
