// scheduler: the daemon's timers, as a seam.
//
// Every timer of heartbeatd (the interval tick, the state machine's next
// deadline, announcement bursts, probe spacing) is a call_at() on the daemon's
// clock. The real one is an asio steady_timer per call; the test double
// (tests/heartbeatd/doubles.hpp) runs due calls when a test advances its
// manual_clock, so unit tests drive the whole daemon without sleeping.
//
// Single-threaded: the io_context thread (or the test) only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "common/asio.hpp"
#include "common/clock.hpp"

namespace lbha::heartbeat {

class scheduler {
 public:
  using callback = std::function<void()>;
  using timer_id = std::uint64_t;

  virtual ~scheduler() = default;
  // Runs `fn` once the clock reaches `at` (at once when it is past), unless cancelled.
  virtual timer_id call_at(clock::time_point at, callback fn) = 0;
  // Cancelling a call that ran already, or id 0, does nothing.
  virtual void cancel(timer_id id) = 0;
  // Drops every pending call: io_context::run() no longer waits for any of them.
  virtual void cancel_all() = 0;
};

class asio_scheduler final : public scheduler {
 public:
  asio_scheduler(asio::io_context& io, const lbha::clock& clock) : io_(io), clock_(clock) {}
  ~asio_scheduler() override { cancel_all(); }

  timer_id call_at(clock::time_point at, callback fn) override;
  void cancel(timer_id id) override;
  void cancel_all() override;

 private:
  asio::io_context& io_;
  const lbha::clock& clock_;
  using pending_map = std::map<timer_id, std::shared_ptr<asio::steady_timer>>;
  timer_id next_id_ = 0;
  // Shared with the handlers, which hold it weakly: a handler already queued when its
  // call is cancelled (or the scheduler destroyed) finds its entry gone and does nothing.
  std::shared_ptr<pending_map> pending_ = std::make_shared<pending_map>();
};

}  // namespace lbha::heartbeat
