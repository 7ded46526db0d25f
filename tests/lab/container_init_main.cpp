// lbha-lab-container: makes a lab LB node a container (see container.hpp).
//
//   lbha-lab-container HOSTNAME ROOT
//
// Started by the lab inside the node's network namespace. It unshares mount,
// UTS and PID namespaces, bind-mounts the node's own ROOT/etc, ROOT/home,
// ROOT/var/lib/lbha and ROOT/run over /etc, /home, /var/lib/lbha and /run,
// sets the hostname, and forks the namespace's PID 1, which mounts a /proc of
// its own, writes ROOT/run/.container-ready and reaps orphans until it is
// killed. This process (outside the new PID namespace) waits for PID 1; on
// SIGTERM or SIGINT it kills PID 1, which ends every process in the node, as a
// power cut would. Either process dying takes the other with it.
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace {

volatile pid_t init_pid = 0;

void forward_stop(int) {
  if (init_pid > 0) ::kill(init_pid, SIGKILL);
}

int fail(const std::string& what) {
  std::fprintf(stderr, "lbha-lab-container: %s: %s\n", what.c_str(), std::strerror(errno));
  return 1;
}

bool bind(const std::string& from, const char* to) {
  return ::mount(from.c_str(), to, nullptr, MS_BIND | MS_REC, nullptr) == 0;
}

[[noreturn]] void run_init(const std::string& root) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    std::exit(fail("mount /proc"));
  }
  std::ofstream(root + "/run/.container-ready") << ::getpid() << "\n";
  for (;;) {
    if (::waitpid(-1, nullptr, 0) < 0 && errno == ECHILD) ::pause();
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: lbha-lab-container HOSTNAME ROOT\n");
    return 2;
  }
  const std::string hostname = argv[1];
  const std::string root = argv[2];
  // Whether this process dies with the lab's is the lab's choice (spawn sets
  // the parent-death signal, which exec keeps); PID 1 always dies with this one.
  if (::unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) != 0) return fail("unshare");
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail("make / private");
  }
  if (!bind(root + "/etc", "/etc")) return fail("bind " + root + "/etc");
  if (!bind(root + "/home", "/home")) return fail("bind " + root + "/home");
  if (!bind(root + "/var/lib/lbha", "/var/lib/lbha")) return fail("bind /var/lib/lbha");
  if (!bind(root + "/run", "/run")) return fail("bind " + root + "/run");
  if (::sethostname(hostname.data(), hostname.size()) != 0) return fail("sethostname");

  struct sigaction stop {};
  stop.sa_handler = forward_stop;
  ::sigaction(SIGTERM, &stop, nullptr);
  ::sigaction(SIGINT, &stop, nullptr);
  const pid_t child = ::fork();
  if (child < 0) return fail("fork");
  if (child == 0) run_init(root);
  init_pid = child;
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return 0;
}
