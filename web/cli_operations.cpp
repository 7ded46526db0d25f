#include "web/cli_operations.hpp"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cli/app.hpp"
#include "cli/config_commit.hpp"
#include "cli/status_read.hpp"
#include "common/child_process.hpp"

namespace lbha::web {

namespace {

// A cli_context of its own per call (calls run on several worker threads),
// with nothing to read and what the command prints kept.
struct captured_context {
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  cli::cli_context context;

  explicit captured_context(const cli::cli_context& paths) : context(paths) {
    context.in = &in;
    context.out = &out;
    context.err = &err;
    context.exit_code = cli::exit_code::ok;
  }
};

}  // namespace

cli::overview cli_operations::read_overview() { return cli::read_overview(paths_); }

node_operations::outcome cli_operations::set_real_server_state(
    const cli::server_state_change& change) {
  captured_context call(paths_);
  cli::set_real_server_state(change, call.context);
  return {call.context.exit_code == cli::exit_code::ok, call.out.str() + call.err.str()};
}

node_operations::command_run cli_operations::run_lbctl(const std::vector<std::string>& args) {
  // This node's directories first, as lbctl on the node would find them.
  std::vector<std::string> words{"lbctl", "--node-config=" + paths_.node_config.string(),
                                 "--run-dir=" + paths_.run_dir.string(),
                                 "--state-dir=" + paths_.state_dir.string(),
                                 "--config-dir=" + paths_.config_dir.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  argv.reserve(words.size());
  for (const auto& word : words) argv.push_back(word.c_str());
  std::istringstream in;  // nothing to read: no question is ever answered
  std::ostringstream out;
  std::ostringstream err;
  command_run run;
  run.exit_code = cli::run_lbctl(static_cast<int>(argv.size()), argv.data(), out, err, in);
  run.out = out.str();
  run.err = err.str();
  return run;
}

node_operations::command_run cli_operations::pair(const pair_request& request) {
  // lbctl reads the password from a file: an anonymous memory file, named by
  // its /proc/self/fd path for the in-process lbctl, closed (gone) after.
  const int fd = ::memfd_create("lbha-webd-pair", MFD_CLOEXEC);
  if (fd < 0) return {1, "", "lbctl: cannot hold the password: memfd_create failed\n"};
  const std::string line = request.password + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  auto run = written ? run_lbctl({"pair", "--peer=" + request.peer,
                                  "--expect-fingerprint=" + request.fingerprint,
                                  "--password-file=/proc/self/fd/" + std::to_string(fd),
                                  request.lock_password ? "--lock-password" : "--keep-password"})
                     : command_run{1, "", "lbctl: cannot hold the password: write failed\n"};
  ::close(fd);
  return run;
}

node_operations::configuration_view cli_operations::read_configuration() {
  return {run_lbctl({"config", "show"}),
          run_lbctl({"config", "show", "--node", "--", paths_.node_config.string()})};
}

node_operations::command_run cli_operations::read_logs(const log_query& query) {
  using namespace std::chrono_literals;
  const int fd = ::memfd_create("lbha-webd-logs", MFD_CLOEXEC);
  if (fd < 0) return {1, "", "cannot read the journal: memfd_create failed\n"};
  auto child = spawn_child(
      {.argv = {"/usr/bin/journalctl", "--no-pager", "--quiet", "--output=short-iso",
                "--lines=" + std::to_string(query.lines), "--priority=" + query.priority,
                "--unit=lbha-" + query.daemon + ".service"},
       .env = {"PATH=/usr/bin:/bin", "SYSTEMD_COLORS=0", "LANG=C.UTF-8"},
       .output_fd = fd});
  if (!child) {
    ::close(fd);
    return {1, "", "cannot run journalctl: " + child.error().message() + "\n"};
  }
  // journalctl answers in well under a second; a stuck one is ended at 5 s.
  std::optional<int> status;
  for (auto waited = 0ms; !(status = try_reap(child.value())) && waited < 5s; waited += 20ms) {
    std::this_thread::sleep_for(20ms);
  }
  if (!status) {
    kill_process_group(child.value());
    status = reap(child.value());
  }
  std::string text;
  char buffer[65536];
  for (off_t at = 0;;) {
    const auto n = ::pread(fd, buffer, sizeof buffer, at);
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    at += n;
  }
  ::close(fd);
  const bool ok = WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
  if (ok) return {0, text, ""};
  return {1, "", text + "journalctl: " + describe_wait_status(*status) + "\n"};
}

node_operations::config_read cli_operations::read_cluster_config() {
  captured_context call(paths_);
  config_read read;
  read.config = cli::load_current_config(call.context);
  read.error = call.err.str();
  return read;
}

}  // namespace lbha::web
