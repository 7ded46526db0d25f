// The secondary's authorized_keys entry for the primary's key.
//
// The primary's ed25519 key may run exactly one thing on the secondary: the
// config relay. OpenSSH enforces it with `restrict` (no pty, no forwarding of
// any kind, no ~/.ssh/rc) and `command="..."` (whatever the client asks to
// run, sshd runs the forced command), and `from="..."` limits the key to the
// primary's addresses. Each entry we add carries a comment
// `lbha-pair:<cluster_id>:<primary name>` so unpair removes exactly our lines
// and never touches keys the operator put there; lines written by older
// versions (no-pty,... instead of restrict) are found and removed the same way.
//
// The text functions are pure; the file functions read and atomically rewrite
// the file with mode 0600 (sshd's StrictModes refuses looser ones). Root's
// replicatord writes them with the login user's file system identity
// (`key_file_owner`), so the file is the user's own and a symlink the user
// planted in its home is followed with the user's rights, not root's.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

inline constexpr const char* authorized_key_marker = "lbha-pair:";

// `restrict,command="<forced_command>",from="<a>,<b>" <public_key> lbha-pair:<cluster_id>:<primary>`;
// no from= when `from` is empty. Fails when the command or key would break out
// of the line (quotes, newlines) or an address is not an IP address literal.
result<std::string> forced_key_line(const std::string& forced_command,
                                    const std::string& public_key, const std::string& cluster_id,
                                    const std::string& primary_name,
                                    const std::vector<std::string>& from = {});

// Returns `text` with every lbha line for `cluster_id` (or every lbha line when
// cluster_id is empty) removed, and every line whose key equals `public_key`
// when given. Other lines, comments and blank lines are kept as they are.
std::string remove_lbha_lines(const std::string& text, const std::string& cluster_id,
                              const std::string& public_key = "");

// Adds `line`, replacing any line with the same key, so pairing twice leaves one entry.
std::string add_line(const std::string& text, const std::string& line,
                     const std::string& public_key);

// Whose file authorized_keys is: root's replicatord reads and writes it with
// this uid and gid as its file system identity (setfsuid/setfsgid, on the
// calling thread only). Unset: as the process itself (tests, a non-root run).
struct key_file_owner {
  uid_t uid = 0;
  gid_t gid = 0;
};

// The login user `user` (getpwnam) as a key_file_owner; nullopt when there is
// no such user or this process is not root (it could not switch anyway).
std::optional<key_file_owner> key_file_owner_of(const std::string& user);

// File versions: a missing file reads as empty; the parent dir is created 0700.
result<void> install_authorized_key(const std::filesystem::path& file, const std::string& line,
                                    const std::string& public_key,
                                    const std::optional<key_file_owner>& owner = std::nullopt);
result<int> remove_authorized_keys(const std::filesystem::path& file,
                                   const std::string& cluster_id,
                                   const std::optional<key_file_owner>& owner = std::nullopt);

// "~user/.ssh/authorized_keys" of `user` (getpwnam), else of the user running this process.
std::filesystem::path default_authorized_keys_path(const std::string& user = "");

}  // namespace lbha::pairing
