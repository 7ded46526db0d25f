// Starting a helper program (an alert or notify hook, an external health
// check) the one way lbha does it:
//   - posix_spawn, never a shell: argv[0] is the program's path;
//   - its own process group, so a timeout kill (kill_process_group) also ends
//     whatever the program started in the background;
//   - an empty signal mask and default dispositions (daemons block the
//     signals they watch and ignore SIGPIPE; the child should not inherit that);
//   - normal scheduling when the caller is real-time (heartbeatd's thread):
//     a hook must never compete with the heartbeats;
//   - stdin from /dev/null; stdout and stderr to `output_fd`, or the daemon's
//     own (the journal) when -1;
//   - exactly the environment given.
// The caller owns the child: it must reap it (try_reap / reap) so no zombie
// is left behind.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace lbha {

struct spawn_request {
  std::vector<std::string> argv;  // argv[0]: the program's absolute path
  std::vector<std::string> env;   // "NAME=value": the child's whole environment
  int output_fd = -1;             // stdout and stderr; -1: inherit ours
};

// The child's pid (also its process group id), or why it could not start.
result<pid_t> spawn_child(const spawn_request& request);

// SIGKILL to the child's whole process group. Safe until the leader is
// reaped: an unreaped leader keeps the group id from being reused.
void kill_process_group(pid_t leader);

// The wait status once the child has exited (and is reaped); nullopt while
// it still runs. Never blocks.
std::optional<int> try_reap(pid_t pid);
// Waits for the child and returns its wait status.
int reap(pid_t pid);

// "exit 3", "killed by signal 9".
std::string describe_wait_status(int status);

// A helper program run to its end with what it printed kept: lbctl's `ip -j`
// reads and lbha-webd's journalctl. Blocks the calling thread.
struct captured_run {
  int status = 0;      // the wait status
  std::string output;  // stdout and stderr together, as written
  bool timed_out = false;
  bool ok() const { return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  // "ip -j rule: exit 1", "... killed at the 5 s timeout".
  std::string describe(const std::vector<std::string>& argv) const;
};

// spawn_child with a pipe for the output, read until the program ends; past
// `timeout` its whole process group is killed (and timed_out set). An error
// only when it could not start.
result<captured_run> run_captured(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env,
                                  std::chrono::milliseconds timeout);

}  // namespace lbha
