// fork + setns + exec: the one place the lab creates processes.
//
// Used by run_command (short commands, output captured through pipes) and by
// process (long-running daemons, output to log files). Everything the child
// needs (argv, envp, the namespace fd) is prepared before fork, because after
// fork in a multi-threaded program only async-signal-safe calls are allowed.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace lbha::lab {

struct spawn_request {
  std::vector<std::string> argv;
  std::string netns;  // empty: stay in the caller's namespace
  // > 0: the lab container (container.hpp) whose mount, UTS and PID namespaces
  // the program also enters, so it sees that node's /etc, /home, /var/lib/lbha,
  // /run, hostname and processes. The program is still the caller's child.
  pid_t container = 0;
  std::vector<std::pair<std::string, std::string>> env;
  std::filesystem::path cwd;  // empty: inherit
  int stdin_fd = -1;          // -1: /dev/null
  int stdout_fd = -1;         // -1: /dev/null
  int stderr_fd = -1;         // -1: /dev/null
  // SIGKILL the child when the parent dies, so a crashed test leaves no
  // daemons behind. Off for processes that must outlive `lbha-lab start`.
  bool die_with_parent = true;
};

// Starts the program; the child leads its own process group (so the whole
// group can be signalled) with all signals unblocked and default. Throws
// lab_error when the namespace cannot be opened or the program cannot be
// executed (the child's errno comes back through a close-on-exec pipe).
// Entering a container's PID namespace takes effect for children only, so an
// intermediate child enters the namespaces and makes the program with
// clone(CLONE_PARENT): the program's parent is the caller, which reaps it as
// any other child, and its pid is the one the caller sees.
pid_t spawn(const spawn_request& request);

}  // namespace lbha::lab
