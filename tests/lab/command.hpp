// Running a program, optionally inside a network namespace, without a shell.
//
// Every command the lab runs (`ip`, `nft`, `curl`, a test's own tools) goes
// through run_command: fork, enter the namespace with setns(2), execvp the
// argv as given. There is no shell, so a node name or an address can never be
// interpreted as shell syntax. The child gets its own mount namespace with a
// fresh /sys, as `ip netns exec` does, so tools that read /sys/class/net see
// the namespace's interfaces and not the host's.
//
// Blocking and single-threaded: the caller waits for the exit (or the
// timeout, after which the whole process group is killed) and gets stdout,
// stderr and the exit status back.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lbha::lab {

// How a process ended: exited with `code`, or was killed by `signal`.
struct exit_status {
  int code = -1;   // exit code when the process exited, else -1
  int signal = 0;  // terminating signal when it was killed, else 0

  bool success() const { return code == 0; }
  static exit_status from_wait_status(int status);
  std::string to_string() const;  // "exit 0", "signal 9"
};

struct command_options {
  std::string netns{};  // empty: the caller's namespace
  pid_t container = 0;  // > 0: also enter this lab container's namespaces (container.hpp)
  std::chrono::milliseconds timeout{10'000};
  std::string stdin_data{};                                // written to the child's stdin
  std::vector<std::pair<std::string, std::string>> env{};  // added to the inherited environment
};

struct command_result {
  exit_status status;
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return !timed_out && status.success(); }
  // "argv: exit 1: <stderr>" for test failure messages.
  std::string describe(const std::vector<std::string>& argv) const;
};

// Runs argv[0] (searched in PATH) with argv. Failing to start the program is
// reported as exit code 127 with the reason in `err`, as a shell would.
command_result run_command(const std::vector<std::string>& argv,
                           const command_options& options = {});

// Like run_command, but throws lab_error (with the command and its stderr)
// unless the command exits 0. For setup steps that must not fail.
command_result run_checked(const std::vector<std::string>& argv,
                           const command_options& options = {});

// Joins argv for messages and logs; quotes arguments that contain spaces.
std::string join_argv(const std::vector<std::string>& argv);

// Path of a named network namespace ("/run/netns/<name>").
std::string netns_path(const std::string& netns);

}  // namespace lbha::lab
