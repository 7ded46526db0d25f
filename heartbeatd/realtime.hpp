// Real-time scheduling for the heartbeat thread.
//
// On a busy node (a proxy saturating both cores, a backup job) a normal-priority
// heartbeat thread can be scheduled late: heartbeats go out late, the peer's
// deadtime runs short, and a switch-over waits for the CPU. Like Heartbeat
// (`realtime on`) and keepalived (`vrrp_rt_priority`), heartbeatd runs its
// io_context thread under SCHED_RR. SCHED_RESET_ON_FORK keeps it to this one
// thread: notify hooks and any thread started later run at normal priority.
#pragma once

#include <system_error>

namespace lbha::heartbeat {

// Puts the calling thread under SCHED_RR at `priority` (1..99). Returns the
// errno as an error_code (e.g. EPERM without CAP_SYS_NICE); 0 does nothing.
std::error_code make_this_thread_realtime(int priority);

}  // namespace lbha::heartbeat
