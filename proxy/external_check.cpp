#include "proxy/external_check.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/child_process.hpp"

namespace lbha::proxy {

namespace {

// The child of one check: killed with its whole process group and reaped
// when the check ends on any path (a destroyed coroutine frame included).
struct child {
  pid_t pid = -1;
  bool reaped = false;

  int reap() {
    // The leader is a zombie until waitpid, so its group id cannot be reused
    // yet: killing the group first is safe, and ends anything it left behind.
    kill_process_group(pid);
    reaped = true;
    return lbha::reap(pid);
  }
  ~child() {
    if (pid > 0 && !reaped) reap();
  }
};

struct fd {
  int value = -1;
  ~fd() { reset(); }
  void reset() {
    if (value >= 0) ::close(value);
    value = -1;
  }
};

std::string first_line(const char* data, std::size_t size) {
  std::string line(data, size);
  line = line.substr(0, line.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::string with_output(std::string verdict, const std::string& line) {
  return line.empty() ? verdict : verdict + ": " + line;
}

}  // namespace

awaitable<std::pair<bool, std::string>> run_external_check(
    const std::vector<std::string>& argv, const external_check_target& target,
    std::chrono::milliseconds timeout) {
  if (argv.empty() || argv.front().empty()) co_return std::pair{false, std::string("no command")};
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) != 0) {
    co_return std::pair{false, std::string("pipe: ") + std::strerror(errno)};
  }
  fd out{ends[0]}, in{ends[1]};
  ::fcntl(out.value, F_SETFL, O_NONBLOCK);  // ours only: the child writes blocking

  const std::string port = std::to_string(target.port);
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                               "LBHA_RS_ADDR=" + target.address,
                               "LBHA_RS_PORT=" + port,
                               "LBHA_VS_LABEL=" + target.service,
                               "LBHA_RS_LABEL=" + target.real_server,
                               "HAPROXY_SERVER_ADDR=" + target.address,
                               "HAPROXY_SERVER_PORT=" + port};
  // Own process group (killed whole at the timeout), default signal
  // dispositions (proxyd ignores SIGPIPE; the check should not): common/child_process.
  child c;
  auto spawned = spawn_child(spawn_request{argv, std::move(env), in.value});
  in.reset();  // the child holds the only write end now
  if (!spawned) co_return std::pair{false, spawned.error().message()};
  c.pid = spawned.value();
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, c.pid, 0));
  if (pidfd < 0) co_return std::pair{false, std::string("pidfd_open: ") + std::strerror(errno)};

  auto executor = co_await asio::this_coro::executor;
  asio::posix::stream_descriptor exited(executor, pidfd);
  // The deadline kills the group; the shared flag keeps a handler that runs
  // after the child was reaped (its pid free for reuse) from killing anything.
  auto over = std::make_shared<bool>(false);
  auto done = std::make_shared<bool>(false);
  asio::steady_timer deadline(executor);
  deadline.expires_after(timeout);
  deadline.async_wait([over, done, pid = c.pid](const boost::system::error_code& ec) {
    if (ec || *done) return;
    *over = true;
    kill_process_group(pid);
  });
  boost::system::error_code ec;
  co_await exited.async_wait(asio::posix::descriptor_base::wait_read,
                             asio::redirect_error(use_awaitable, ec));
  deadline.cancel();
  const int status = c.reap();
  *done = true;

  char buffer[512];
  const ssize_t got = ::read(out.value, buffer, sizeof buffer);
  const std::string line = first_line(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
  if (*over) {
    co_return std::pair{false, "killed after " + std::to_string(timeout.count()) + " ms"};
  }
  if (ec) co_return std::pair{false, "check aborted: " + ec.message()};
  if (WIFSIGNALED(status)) {
    co_return std::pair{false, with_output("killed by signal " + std::to_string(WTERMSIG(status)),
                                           line)};
  }
  const int code = WEXITSTATUS(status);
  co_return std::pair{code == 0, with_output("exit " + std::to_string(code), line)};
}

}  // namespace lbha::proxy
