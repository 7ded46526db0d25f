#include "heartbeatd/notifier.hpp"

#include <spawn.h>
#include <sys/wait.h>

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
  pending hook{{script, std::string(to_string(r))}};
  hook.args.insert(hook.args.end(), vips.begin(), vips.end());
  queue_.push_back(std::move(hook));
  if (child_ > 0) return 0;  // runs when the one before it has exited
  return start_next();
}

result<pid_t> notifier::start_next() {
  if (queue_.empty()) return 0;
  auto args = std::move(queue_.front().args);
  queue_.pop_front();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (int err = ::posix_spawn(&pid, args.front().c_str(), nullptr, nullptr, argv.data(), environ);
      err != 0)
    return errno_error(err, args.front() + " could not start");
  child_ = pid;
  return pid;
}

void notifier::reap() {
  auto log = get_logger("heartbeatd");
  while (child_ > 0) {
    int status = 0;
    const pid_t r = ::waitpid(child_, &status, WNOHANG);
    if (r == 0) return;  // still running
    if (r == child_ && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
      log->warn("notify hook (pid {}) failed: status {}", child_, status);
    child_ = 0;
    // The next queued hook; one that cannot start is logged and skipped.
    while (!queue_.empty() && child_ == 0) {
      if (auto started = start_next(); !started)
        log->error("notify hook: {}", started.error().message());
    }
  }
}

}  // namespace lbha::heartbeat
