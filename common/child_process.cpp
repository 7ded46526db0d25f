#include "common/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace lbha {

namespace {

// posix_spawn's C structures, destroyed on every path.
struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  spawn_setup(const spawn_setup&) = delete;
  spawn_setup& operator=(const spawn_setup&) = delete;
};

}  // namespace

result<pid_t> spawn_child(const spawn_request& request) {
  if (request.argv.empty() || request.argv.front().empty()) {
    return error(std::errc::invalid_argument, "no program to run");
  }
  std::vector<std::string> argv = request.argv, env = request.env;
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  spawn_setup setup;
  posix_spawn_file_actions_addopen(&setup.actions, 0, "/dev/null", O_RDONLY, 0);
  if (request.output_fd >= 0) {
    posix_spawn_file_actions_adddup2(&setup.actions, request.output_fd, 1);
    posix_spawn_file_actions_adddup2(&setup.actions, request.output_fd, 2);
  }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setsigdefault(&setup.attr, &all);
  posix_spawnattr_setpgroup(&setup.attr, 0);
  short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  // sched_getscheduler(0) is the calling thread's policy on Linux.
  if (const int policy = ::sched_getscheduler(0); policy == SCHED_FIFO || policy == SCHED_RR) {
    sched_param normal{};
    normal.sched_priority = 0;
    posix_spawnattr_setschedpolicy(&setup.attr, SCHED_OTHER);
    posix_spawnattr_setschedparam(&setup.attr, &normal);
    flags |= POSIX_SPAWN_SETSCHEDULER;
  }
  posix_spawnattr_setflags(&setup.attr, flags);
  pid_t pid = 0;
  if (const int e =
          ::posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), envp.data());
      e != 0) {
    return errno_error(e, "cannot run " + request.argv.front());
  }
  return pid;
}

void kill_process_group(pid_t leader) {
  if (leader > 0) ::kill(-leader, SIGKILL);
}

std::optional<int> try_reap(pid_t pid) {
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == 0) return std::nullopt;
  // r < 0 (ECHILD): someone else reaped it; it has ended all the same.
  if (r < 0) return W_EXITCODE(127, 0);
  return status;
}

int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return W_EXITCODE(127, 0);
  }
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit " + std::to_string(WEXITSTATUS(status));
}

std::string captured_run::describe(const std::vector<std::string>& argv) const {
  std::string command;
  for (const auto& arg : argv) command += (command.empty() ? "" : " ") + arg;
  return command + ": " +
         (timed_out ? std::string("killed at the timeout") : describe_wait_status(status));
}

result<captured_run> run_captured(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env,
                                  std::chrono::milliseconds timeout) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return errno_error(errno, "pipe");
  auto child = spawn_child({argv, env, fds[1]});
  ::close(fds[1]);
  if (!child) {
    ::close(fds[0]);
    return child.error();
  }
  captured_run run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      // Its whole group: a background child of it would keep the pipe open.
      kill_process_group(child.value());
      run.timed_out = true;
      break;
    }
    pollfd readable{fds[0], POLLIN, 0};
    const int ready = ::poll(&readable, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline is checked above
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // every writer is gone
    run.output.append(chunk, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  run.status = reap(child.value());
  return run;
}

}  // namespace lbha
