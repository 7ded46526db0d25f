#include "tests/lab/command.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "tests/lab/lab_error.hpp"
#include "tests/lab/spawn.hpp"

namespace lbha::lab {

namespace {

struct pipe_pair {
  int read = -1;
  int write = -1;
  pipe_pair() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw lab_error(std::string("pipe2: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  ~pipe_pair() {
    close_read();
    close_write();
  }
  void close_read() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void close_write() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 0;
  }
  return status;
}

}  // namespace

exit_status exit_status::from_wait_status(int status) {
  exit_status s;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

std::string exit_status::to_string() const {
  if (signal != 0) return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  return "exit " + std::to_string(code);
}

std::string command_result::describe(const std::vector<std::string>& argv) const {
  std::string text = join_argv(argv) + ": " + (timed_out ? "timed out" : status.to_string());
  if (!err.empty()) text += ": " + err;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string join_argv(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    if (arg.empty() || arg.find_first_of(" \t\n'\"") != std::string::npos) {
      text += '\'' + arg + '\'';
    } else {
      text += arg;
    }
  }
  return text;
}

std::string netns_path(const std::string& netns) { return "/run/netns/" + netns; }

command_result run_command(const std::vector<std::string>& argv, const command_options& options) {
  pipe_pair in, out, err;
  spawn_request request{.argv = argv,
                        .netns = options.netns,
                        .container = options.container,
                        .env = options.env,
                        .cwd = {},
                        .stdin_fd = in.read,
                        .stdout_fd = out.write,
                        .stderr_fd = err.write,
                        .die_with_parent = true};
  command_result result;
  pid_t pid;
  try {
    pid = spawn(request);
  } catch (const lab_error& e) {
    result.status.code = 127;
    result.err = e.what();
    return result;
  }
  in.close_read();
  out.close_write();
  err.close_write();
  ::fcntl(in.write, F_SETFL, O_NONBLOCK);
  if (options.stdin_data.empty()) {
    in.close_write();
  } else {
    // A child that exits without reading its stdin must cost an EPIPE, not the test process.
    ::signal(SIGPIPE, SIG_IGN);
  }

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::size_t written = 0;
  char buffer[8192];
  while (out.read >= 0 || err.read >= 0) {
    pollfd fds[3];
    int n = 0;
    int out_index = -1, err_index = -1, in_index = -1;
    if (out.read >= 0) fds[out_index = n++] = {out.read, POLLIN, 0};
    if (err.read >= 0) fds[err_index = n++] = {err.read, POLLIN, 0};
    if (in.write >= 0) fds[in_index = n++] = {in.write, POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      break;
    }
    const int ready = ::poll(fds, n, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    auto drain = [&](int index, pipe_pair& p, std::string& into) {
      if (index < 0 || fds[index].revents == 0) return;
      const ssize_t got = ::read(p.read, buffer, sizeof buffer);
      if (got > 0) {
        into.append(buffer, static_cast<std::size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        p.close_read();
      }
    };
    drain(out_index, out, result.out);
    drain(err_index, err, result.err);
    if (in_index >= 0 && fds[in_index].revents != 0) {
      const ssize_t put = ::write(in.write, options.stdin_data.data() + written,
                                  options.stdin_data.size() - written);
      if (put > 0) written += static_cast<std::size_t>(put);
      if (put < 0 && errno != EAGAIN && errno != EINTR) in.close_write();
      if (written == options.stdin_data.size()) in.close_write();
    }
  }
  if (result.timed_out) ::kill(-pid, SIGKILL);
  result.status = exit_status::from_wait_status(wait_for(pid));
  return result;
}

command_result run_checked(const std::vector<std::string>& argv, const command_options& options) {
  command_result result = run_command(argv, options);
  if (!result.ok()) {
    throw lab_error(result.describe(argv) +
                    (options.netns.empty() ? "" : " (in netns " + options.netns + ")"));
  }
  return result;
}

}  // namespace lbha::lab
