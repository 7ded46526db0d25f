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

// For a thread other than the one that will call drop_privileges() and that
// must keep some capability through it: call this on that thread first
// (PR_SET_KEEPCAPS), then keep_permitted_only() on it once the drop is done.
// Its capabilities cannot be narrowed before the drop: glibc makes every
// thread change its own uid and gids, and aborts the process when one of
// them is refused (a thread without CAP_SETUID/CAP_SETGID would be).
result<void> keep_capabilities_through_drop();

// On the calling thread: only `permitted` stays in its permitted set, none
// effective, inheritable or ambient. The thread then holds them without
// using them until it raises one (raised_capability) around the one call
// that needs it.
result<void> keep_permitted_only(const std::vector<int>& permitted);

// Makes `cap` effective on the calling thread for its lifetime when it is
// permitted there and not yet effective; restores the previous effective set
// afterwards. ok() is false (errno kept in error()) when it could not be raised.
class raised_capability {
 public:
  explicit raised_capability(int cap);
  ~raised_capability();
  raised_capability(const raised_capability&) = delete;
  raised_capability& operator=(const raised_capability&) = delete;

  bool ok() const { return error_ == 0; }
  int error() const { return error_; }

 private:
  int cap_;
  int error_ = 0;
  bool lower_ = false;  // raised here, so lowered again by the destructor
};

}  // namespace lbha
