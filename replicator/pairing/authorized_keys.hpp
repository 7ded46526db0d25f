// The secondary's authorized_keys entry for the primary's key.
//
// The primary's ed25519 key may run exactly one thing on the secondary: the
// config receiver. OpenSSH enforces it with `command="..."` (whatever the
// client asks to run, sshd runs the forced command) plus no-pty and no
// forwarding of any kind. Each entry we add carries a comment
// `lbha-pair:<cluster_id>:<primary name>` so unpair removes exactly our lines
// and never touches keys the operator put there.
//
// The text functions are pure; the file functions read and atomically rewrite
// the file with mode 0600 (sshd's StrictModes refuses looser ones).
#pragma once

#include <filesystem>
#include <string>

#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

inline constexpr const char* authorized_key_marker = "lbha-pair:";

// `command="<forced_command>",no-pty,... <public_key> lbha-pair:<cluster_id>:<primary>`.
// Fails when the command or key would break out of the line (quotes, newlines).
result<std::string> forced_key_line(const std::string& forced_command,
                                    const std::string& public_key, const std::string& cluster_id,
                                    const std::string& primary_name);

// Returns `text` with every lbha line for `cluster_id` (or every lbha line when
// cluster_id is empty) removed, and every line whose key equals `public_key`
// when given. Other lines, comments and blank lines are kept as they are.
std::string remove_lbha_lines(const std::string& text, const std::string& cluster_id,
                              const std::string& public_key = "");

// Adds `line`, replacing any line with the same key, so pairing twice leaves one entry.
std::string add_line(const std::string& text, const std::string& line,
                     const std::string& public_key);

// File versions: a missing file reads as empty; the parent dir is created 0700.
result<void> install_authorized_key(const std::filesystem::path& file, const std::string& line,
                                    const std::string& public_key);
result<int> remove_authorized_keys(const std::filesystem::path& file,
                                   const std::string& cluster_id);

// "~user/.ssh/authorized_keys" of the user running this process.
std::filesystem::path default_authorized_keys_path();

}  // namespace lbha::pairing
