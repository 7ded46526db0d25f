// hook_runner: runs hook programs one at a time, in the order they were
// submitted, each killed (its whole process group) when it outlives the
// timeout. Shared by the alert hooks of every daemon (event_hooks.hpp) and
// heartbeatd's role notify hooks.
//
// One batch is the hooks of one event, run in order; batches queue behind the
// one running. The queue is bounded: a batch submitted while `queue_limit`
// batches wait is dropped, counted and logged. A hook that exits non-zero, is
// killed at the timeout, or cannot start is logged (hook, what it was for,
// why) and counted; the next hook runs regardless.
//
// Nothing here blocks or sleeps: submit() starts a hook when none runs, and
// poll() (called from the owner's loop: a timer, heartbeatd's tick) reaps the
// running one, kills it past its deadline and starts the next. Time comes
// from the injected clock and processes from the `hook_processes` seam, so a
// unit test drives ordering and timeouts without real time.
//
// Concurrency: one owner thread (the daemon's io thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"

namespace lbha {

// The seam to the kernel's processes (child_process.hpp); a test double
// records the starts and decides when each child ends.
class hook_processes {
 public:
  virtual ~hook_processes() = default;
  virtual result<pid_t> start(const spawn_request& request) = 0;
  // The wait status once exited (reaped), nullopt while running.
  virtual std::optional<int> finished(pid_t pid) = 0;
  virtual void kill_group(pid_t pid) = 0;
  // Waits for a child already sent SIGKILL (short: it cannot be caught).
  virtual void wait_killed(pid_t pid) = 0;
};

// The real processes: spawn_child, try_reap, kill_process_group.
class child_processes final : public hook_processes {
 public:
  result<pid_t> start(const spawn_request& request) override { return spawn_child(request); }
  std::optional<int> finished(pid_t pid) override { return try_reap(pid); }
  void kill_group(pid_t pid) override { kill_process_group(pid); }
  void wait_killed(pid_t pid) override { reap(pid); }
};

struct hook_job {
  std::string purpose;  // for the log: "event peer_lost", "notify active"
  spawn_request request;
};

struct hook_counters {
  std::uint64_t started = 0;
  std::uint64_t failed = 0;   // exit != 0, killed (at the timeout or by a signal), could not start
  std::uint64_t dropped = 0;  // batches refused because the queue was full
};

class hook_runner {
 public:
  hook_runner(const lbha::clock& clock, hook_processes& processes, std::string logger_name);
  ~hook_runner();
  hook_runner(const hook_runner&) = delete;
  hook_runner& operator=(const hook_runner&) = delete;

  void set_limits(std::chrono::milliseconds timeout, std::size_t queue_limit);
  // Queues the hooks of one event (run in order); starts the first when idle.
  // False when the queue is full and the batch was dropped.
  bool submit(std::vector<hook_job> batch);
  // Reaps the running hook, kills it past its deadline, starts the next.
  void poll();
  // Kills the running hook and forgets the queue (daemon stop).
  void stop();
  // Forgets the queue and leaves the running hook to finish on its own (a
  // role hook outlives the daemon's stop as it always did).
  void release();

  bool idle() const { return !running_ && current_.empty() && queue_.empty(); }
  std::size_t queued() const { return queue_.size(); }
  const hook_counters& counters() const { return counters_; }

 private:
  struct running {
    hook_job job;
    pid_t pid = 0;
    lbha::clock::time_point deadline;
    bool killed = false;
  };
  void start_next();
  void finish(int status);
  void fail(const hook_job& job, const std::string& why);

  const lbha::clock& clock_;
  hook_processes& processes_;
  std::string logger_name_;
  std::chrono::milliseconds timeout_{10'000};
  std::size_t queue_limit_ = 100;
  std::deque<hook_job> current_;             // the rest of the batch being run
  std::deque<std::vector<hook_job>> queue_;  // batches waiting
  std::optional<running> running_;
  hook_counters counters_;
};

}  // namespace lbha
