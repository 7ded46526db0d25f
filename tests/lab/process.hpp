// A long-running program in a lab node: a daemon, a real server, a load generator.
//
// Lifecycle: lab::start() spawns it in the node's namespace as the leader of
// its own process group, with stdout and stderr appended to log files under
// the run's lab dir (<lab dir>/logs/<node>-<name>.{out,err}), so a failing
// test can print them. stop() sends SIGTERM and, after a grace period,
// SIGKILL, to the whole group; the lab stops every process it started before
// it deletes the namespaces. Faults: kill() (SIGKILL), pause() (SIGSTOP) and
// resume() (SIGCONT).
//
// Not thread-safe: one test thread drives it. The process is reaped by
// running(), wait(), stop() or kill(), whichever sees the exit first.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tests/lab/command.hpp"

namespace lbha::lab {

class process {
 public:
  process(std::string node, std::string name, std::vector<std::string> argv, pid_t pid,
          std::filesystem::path out_log, std::filesystem::path err_log);
  ~process();  // kills the group if it is still running
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  const std::string& node() const { return node_; }
  const std::string& name() const { return name_; }
  const std::vector<std::string>& argv() const { return argv_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& out_log() const { return out_log_; }
  const std::filesystem::path& err_log() const { return err_log_; }

  // True until the process has exited (reaps it when it has).
  bool running();
  // How it ended, once it has.
  std::optional<exit_status> status() const { return status_; }

  // Waits up to `timeout` for the exit; nullopt if it is still running.
  std::optional<exit_status> wait(std::chrono::milliseconds timeout);
  // SIGTERM to the group, SIGKILL after `grace`; returns how it ended.
  exit_status stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // SIGKILL to the group and reap: a crash, as far as the peer can tell.
  exit_status kill();
  // SIGSTOP / SIGCONT to the group: a hung process that still holds its sockets.
  void pause();
  void resume();
  // Any signal to the process itself (not the group), e.g. SIGHUP for a reload.
  void signal(int sig);

  // Forgets the process without signalling it: it keeps running after this
  // object is gone (`lbha-lab start`, whose processes outlive the CLI).
  void release() { status_ = exit_status{}; }

  // stdout and stderr logs, labelled, for a test's failure message.
  std::string logs() const;

 private:
  std::string node_;
  std::string name_;
  std::vector<std::string> argv_;
  pid_t pid_;
  std::filesystem::path out_log_;
  std::filesystem::path err_log_;
  std::optional<exit_status> status_;
};

}  // namespace lbha::lab
