#include "tests/lab/process.hpp"

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

namespace lbha::lab {

namespace {

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

process::process(std::string node, std::string name, std::vector<std::string> argv, pid_t pid,
                 std::filesystem::path out_log, std::filesystem::path err_log)
    : node_(std::move(node)),
      name_(std::move(name)),
      argv_(std::move(argv)),
      pid_(pid),
      out_log_(std::move(out_log)),
      err_log_(std::move(err_log)) {}

process::~process() {
  if (running()) kill();
}

bool process::running() {
  if (status_) return false;
  int wait_status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wait_status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    status_ = exit_status::from_wait_status(wait_status);
    return false;
  }
  if (r < 0) {
    // Not our child any more (reaped elsewhere): treat as gone.
    status_ = exit_status{};
    return false;
  }
  return true;
}

std::optional<exit_status> process::wait(std::chrono::milliseconds timeout) {
  // Polling: waitpid has no timeout, and a few milliseconds of latency do not matter here.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

exit_status process::stop(std::chrono::milliseconds grace) {
  if (!running()) return *status_;
  ::kill(-pid_, SIGTERM);
  ::kill(-pid_, SIGCONT);  // a paused process could not act on the SIGTERM
  if (auto s = wait(grace)) return *s;
  return kill();
}

exit_status process::kill() {
  if (!running()) return *status_;
  ::kill(-pid_, SIGKILL);
  int wait_status = 0;
  while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
  }
  status_ = exit_status::from_wait_status(wait_status);
  return *status_;
}

void process::pause() {
  if (running()) ::kill(-pid_, SIGSTOP);
}

void process::resume() {
  if (running()) ::kill(-pid_, SIGCONT);
}

void process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::string process::logs() const {
  std::string text = "---- " + node_ + "/" + name_ + ": " + join_argv(argv_) + "\n";
  text += "---- stdout (" + out_log_.string() + ")\n" + read_whole(out_log_);
  text += "---- stderr (" + err_log_.string() + ")\n" + read_whole(err_log_);
  return text;
}

}  // namespace lbha::lab
