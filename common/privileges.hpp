// Dropping root after start (--user): the daemon binds what needs root, then
// runs as `user` with only the capabilities it names.
//
// Threads: setgroups/setgid/setuid go through glibc, which applies them to
// every thread of the process; capabilities, however, belong to each thread.
// The caller's thread keeps `keep` (permitted, effective, inheritable and
// ambient); every other thread that already runs loses all of its
// capabilities with the uid change, and threads started later inherit the
// creator's. So call it on the thread that will need the capabilities (the
// daemon's io thread, which runs reloads) and have that thread do the
// privileged work itself (proxyd opens its listeners there).
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace lbha {

// Becomes `user` (its uid, primary gid and supplementary groups from the
// user database), keeping the capabilities in `keep` (CAP_* numbers). Fails
// when not root, when the user does not exist, or when root could be
// regained afterwards.
result<void> drop_privileges(const std::string& user, const std::vector<int>& keep);

}  // namespace lbha
