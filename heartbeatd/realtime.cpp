#include "heartbeatd/realtime.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace lbha::heartbeat {

std::error_code make_this_thread_realtime(int priority) {
  if (priority <= 0) return {};
  sched_param param{};
  param.sched_priority = priority;
  // sched_setscheduler on a thread id applies to that thread alone.
  const auto tid = static_cast<pid_t>(::syscall(SYS_gettid));
  if (::sched_setscheduler(tid, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0) {
    return {errno, std::generic_category()};
  }
  return {};
}

}  // namespace lbha::heartbeat
