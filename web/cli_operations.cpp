#include "web/cli_operations.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <sstream>

#include "cli/app.hpp"
#include "cli/config_commit.hpp"
#include "cli/status_read.hpp"
#include "common/child_process.hpp"
#include "web/metrics_source.hpp"

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

node_read cli_operations::read_node() { return web::read_node(paths_); }

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
  const std::vector<std::string> argv{"/usr/bin/journalctl",
                                      "--no-pager",
                                      "--quiet",
                                      "--output=short-iso",
                                      "--lines=" + std::to_string(query.lines),
                                      "--priority=" + query.priority,
                                      "--unit=lbha-" + query.daemon + ".service"};
  // journalctl answers in well under a second; a stuck one is ended at 5 s.
  auto run = run_captured(argv, {"PATH=/usr/bin:/bin", "SYSTEMD_COLORS=0", "LANG=C.UTF-8"},
                          std::chrono::seconds(5));
  if (!run) return {1, "", "cannot run journalctl: " + run.error().message() + "\n"};
  if (run.value().ok()) return {0, std::move(run.value().output), ""};
  return {1, "", run.value().output + run.value().describe({"journalctl"}) + "\n"};
}

node_operations::config_read cli_operations::read_cluster_config() {
  captured_context call(paths_);
  config_read read;
  read.config = cli::load_current_config(call.context);
  read.error = call.err.str();
  return read;
}

}  // namespace lbha::web
