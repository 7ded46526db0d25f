#include "common/privileges.hpp"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace lbha {

namespace {

// capset(2) on the calling thread; glibc has no wrapper (libcap's is the same call).
int set_thread_capabilities(const std::vector<int>& caps) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int cap : caps) {
    const auto bit = 1u << (cap % 32);
    auto& word = data[cap / 32];
    word.effective |= bit;
    word.permitted |= bit;
    word.inheritable |= bit;  // the ambient set is a subset of it
  }
  return static_cast<int>(::syscall(SYS_capset, &header, data));
}

// The calling thread's sets, or false with errno set.
bool get_thread_capabilities(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capget, &header, data) == 0;
}

bool put_thread_capabilities(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return ::syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

result<void> keep_capabilities_through_drop() {
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_error(errno, "PR_SET_KEEPCAPS");
  return success();
}

result<void> keep_permitted_only(const std::vector<int>& permitted) {
  (void)::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int cap : permitted) data[cap / 32].permitted |= 1u << (cap % 32);
  if (!put_thread_capabilities(data)) return errno_error(errno, "capset");
  return success();
}

raised_capability::raised_capability(int cap) : cap_(cap) {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!get_thread_capabilities(data)) {
    error_ = errno;
    return;
  }
  const auto bit = 1u << (cap % 32);
  auto& word = data[cap / 32];
  if (word.effective & bit) return;  // already (root without --user)
  if (!(word.permitted & bit)) {
    error_ = EPERM;
    return;
  }
  word.effective |= bit;
  if (!put_thread_capabilities(data)) {
    error_ = errno;
    return;
  }
  lower_ = true;
}

raised_capability::~raised_capability() {
  if (!lower_) return;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!get_thread_capabilities(data)) return;
  data[cap_ / 32].effective &= ~(1u << (cap_ % 32));
  (void)put_thread_capabilities(data);
}

result<void> drop_privileges(const std::string& user, const std::vector<int>& keep) {
  if (::geteuid() != 0) return error(std::errc::operation_not_permitted, "--user needs root");
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16384);
  const int looked = ::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (looked != 0) return errno_error(looked, "user " + user);
  if (!found) return error(std::errc::invalid_argument, "no user '" + user + "'");
  const uid_t uid = entry.pw_uid;
  const gid_t gid = entry.pw_gid;
  if (uid == 0) return error(std::errc::invalid_argument, "--user " + user + " is root");

  if (::initgroups(user.c_str(), gid) != 0) return errno_error(errno, "initgroups");
  if (::setresgid(gid, gid, gid) != 0) return errno_error(errno, "setresgid");
  // Keep the permitted set across the uid change on this thread; the others lose theirs.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno_error(errno, "PR_SET_KEEPCAPS");
  if (::setresuid(uid, uid, uid) != 0) return errno_error(errno, "setresuid");
  (void)::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (set_thread_capabilities(keep) != 0) return errno_error(errno, "capset");
  for (int cap : keep) {
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0)
      return errno_error(errno, "ambient capability " + std::to_string(cap));
  }
  // A drop that could be undone is no drop.
  if (::setresuid(0, 0, 0) == 0) return error(std::errc::operation_not_permitted, "root regained");
  return success();
}

}  // namespace lbha
