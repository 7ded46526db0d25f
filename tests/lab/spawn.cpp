#include "tests/lab/spawn.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "tests/lab/command.hpp"
#include "tests/lab/lab_error.hpp"

extern char** environ;

namespace lbha::lab {

namespace {

class fd_guard {
 public:
  explicit fd_guard(int fd = -1) : fd_(fd) {}
  ~fd_guard() { reset(); }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Builds "KEY=VALUE" strings: the inherited environment with `overrides` replacing or adding.
std::vector<std::string> make_env(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto& [key, value] : overrides) {
      if (entry.size() > key.size() && entry.substr(0, key.size()) == key &&
          entry[key.size()] == '=') {
        replaced = true;
      }
    }
    if (!replaced) env.emplace_back(entry);
  }
  for (const auto& [key, value] : overrides) env.push_back(key + "=" + value);
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int open_namespace(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw lab_error("cannot open namespace " + path + ": " + std::strerror(errno));
  return fd;
}

// Child side, async-signal-safe calls only. Reports errno through `error_fd` and exits 127.
[[noreturn]] void fail_child(int error_fd) {
  int err = errno;
  [[maybe_unused]] auto n = ::write(error_fd, &err, sizeof err);
  ::_exit(127);
}

}  // namespace

pid_t spawn(const spawn_request& request) {
  if (request.argv.empty()) throw lab_error("spawn: empty argv");

  fd_guard netns_fd;
  if (!request.netns.empty()) {
    netns_fd.reset(::open(netns_path(request.netns).c_str(), O_RDONLY | O_CLOEXEC));
    if (netns_fd.get() < 0) {
      throw lab_error("cannot open network namespace " + request.netns + ": " +
                      std::strerror(errno));
    }
  }
  // A container's namespaces: mount, UTS, and the PID namespace its PID 1 is in.
  // And its root directory: setns(CLONE_NEWNS) sets the caller's root to the
  // namespace's root mount, which is not the container's root when the lab
  // itself runs chrooted (a fresh-machine check): chroot back into it, as
  // `nsenter --root` does.
  fd_guard mnt_fd, uts_fd, pid_fd, root_fd;
  if (request.container > 0) {
    const std::string proc = "/proc/" + std::to_string(request.container);
    mnt_fd.reset(open_namespace(proc + "/ns/mnt"));
    uts_fd.reset(open_namespace(proc + "/ns/uts"));
    pid_fd.reset(open_namespace(proc + "/ns/pid_for_children"));
    root_fd.reset(::open((proc + "/root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (root_fd.get() < 0)
      throw lab_error("cannot open " + proc + "/root: " + std::strerror(errno));
  }
  fd_guard dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (dev_null.get() < 0) throw lab_error(std::string("open /dev/null: ") + std::strerror(errno));

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) {
    throw lab_error(std::string("pipe2: ") + std::strerror(errno));
  }
  fd_guard error_read(error_pipe[0]);
  fd_guard error_write(error_pipe[1]);
  // The intermediate child of a container spawn reports the program's pid here.
  int pid_pipe[2];
  if (::pipe2(pid_pipe, O_CLOEXEC) != 0) {
    throw lab_error(std::string("pipe2: ") + std::strerror(errno));
  }
  fd_guard pid_read(pid_pipe[0]);
  fd_guard pid_write(pid_pipe[1]);

  std::vector<std::string> argv_strings = request.argv;
  std::vector<char*> argv = pointers(argv_strings);
  std::vector<std::string> env_strings = make_env(request.env);
  std::vector<char*> envp = pointers(env_strings);
  const std::string cwd = request.cwd.string();
  const int in = request.stdin_fd >= 0 ? request.stdin_fd : dev_null.get();
  const int out = request.stdout_fd >= 0 ? request.stdout_fd : dev_null.get();
  const int err = request.stderr_fd >= 0 ? request.stderr_fd : dev_null.get();
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw lab_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    const int efd = error_write.get();
    const bool in_container = request.container > 0;
    if (in_container) {
      if (::setns(netns_fd.get(), CLONE_NEWNET) != 0 || ::setns(uts_fd.get(), CLONE_NEWUTS) != 0 ||
          ::setns(pid_fd.get(), CLONE_NEWPID) != 0 || ::setns(mnt_fd.get(), CLONE_NEWNS) != 0 ||
          ::fchdir(root_fd.get()) != 0 || ::chroot(".") != 0) {
        fail_child(efd);
      }
      // The program is born in the container's PID namespace as the caller's child.
      const long program = ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
      if (program < 0) fail_child(efd);
      if (program > 0) {
        const pid_t reported = static_cast<pid_t>(program);
        [[maybe_unused]] auto n = ::write(pid_write.get(), &reported, sizeof reported);
        ::_exit(0);
      }
    }
    ::setpgid(0, 0);
    if (request.die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      // In a container the caller is outside this PID namespace: getppid() is 0.
      if (!in_container && ::getppid() != parent) ::_exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);

    if (netns_fd.get() >= 0 && !in_container) {
      if (::setns(netns_fd.get(), CLONE_NEWNET) != 0) fail_child(efd);
      // Best effort, like `ip netns exec`: a private mount namespace with a
      // sysfs of this network namespace on top of /sys. Skipped (the host's
      // /sys stays visible) where mounting is not allowed.
      if (::unshare(CLONE_NEWNS) == 0 &&
          ::mount("none", "/", nullptr, MS_SLAVE | MS_REC, nullptr) == 0) {
        ::mount("lbha-lab-sysfs", "/sys", "sysfs", 0, nullptr);
      }
    }
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) fail_child(efd);
    // Nothing else the parent had open (sockets, the gtest output file) leaks into the child.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) fail_child(efd);
    ::execvpe(argv[0], argv.data(), envp.data());
    fail_child(efd);
  }

  error_write.reset();
  pid_t program = pid;
  if (request.container > 0) {
    pid_write.reset();
    pid_t reported = -1;
    ssize_t got;
    do {
      got = ::read(pid_read.get(), &reported, sizeof reported);
    } while (got < 0 && errno == EINTR);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != sizeof reported) {
      int child_errno = 0;
      if (::read(error_read.get(), &child_errno, sizeof child_errno) <= 0) child_errno = ECHILD;
      throw lab_error("cannot enter container " + std::to_string(request.container) + " for " +
                      request.argv[0] + ": " + std::strerror(child_errno));
    }
    program = reported;
  }
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(error_read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    int status = 0;
    while (::waitpid(program, &status, 0) < 0 && errno == EINTR) {
    }
    throw lab_error("cannot run " + request.argv[0] +
                    (request.netns.empty() ? "" : " in " + request.netns) + ": " +
                    std::strerror(child_errno));
  }
  return program;
}

}  // namespace lbha::lab
