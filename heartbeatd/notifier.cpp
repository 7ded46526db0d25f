#include "heartbeatd/notifier.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>

#include "common/logging.hpp"

extern char** environ;

namespace lbha::heartbeat {

notifier::~notifier() { reap(); }

result<pid_t> notifier::notify(role r, const std::vector<std::string>& vips) {
  const std::string& script = r == role::active    ? hooks_.on_active
                              : r == role::passive ? hooks_.on_passive
                              : r == role::fault   ? hooks_.on_fault
                                                   : hooks_.on_passive;
  if (script.empty()) return 0;
  std::vector<std::string> args{script, std::string(to_string(r))};
  args.insert(args.end(), vips.begin(), vips.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int err = ::posix_spawn(&pid, script.c_str(), nullptr, nullptr, argv.data(), environ);
      err != 0)
    return errno_error(err, script + " could not start");
  children_.push_back(pid);
  return pid;
}

void notifier::reap() {
  auto log = get_logger("heartbeatd");
  std::erase_if(children_, [&](pid_t pid) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) return false;
    if (r == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      log->warn("notify hook (pid {}) failed: status {}", pid, status);
    return true;
  });
}

}  // namespace lbha::heartbeat
