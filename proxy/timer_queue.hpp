// Deadline timers for one data-plane thread, without a clock of their own.
//
// A timer is a member of the object it times (a session, a listener) and
// unlinks itself when destroyed. The queue is an ordered intrusive set, so
// scheduling, re-scheduling and cancelling allocate nothing. The owner of
// the queue (the event loop) asks for the next deadline to bound its wait
// and then calls expire(now); time is passed in, so the queue is pure and a
// test drives it with made-up instants.
//
// Concurrency: none; the queue and its timers belong to one thread.
#pragma once

#include <boost/intrusive/set.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>

namespace lbha::proxy {

using time_point = std::chrono::steady_clock::time_point;

class timer : public boost::intrusive::set_base_hook<
                  boost::intrusive::link_mode<boost::intrusive::auto_unlink>> {
 public:
  explicit timer(std::function<void()> on_expiry) : on_expiry_(std::move(on_expiry)) {}
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  bool armed() const { return is_linked(); }
  // When it fires; time_point::max() when not armed.
  time_point deadline() const { return armed() ? deadline_ : time_point::max(); }

 private:
  friend class timer_queue;
  struct by_deadline {
    bool operator()(const timer& a, const timer& b) const { return a.deadline_ < b.deadline_; }
  };
  time_point deadline_{};
  std::function<void()> on_expiry_;
};

class timer_queue {
 public:
  ~timer_queue() { timers_.clear(); }

  // Arms `t` for `at`, moving it if it was armed already.
  void schedule(timer& t, time_point at);
  void cancel(timer& t) { t.unlink(); }
  bool empty() const { return timers_.empty(); }
  std::optional<time_point> next_deadline() const;

  // Fires, earliest first, the timers due at `now`, at most `limit` of them
  // (a callback that re-arms its timer for `now` cannot spin the caller);
  // each is disarmed before its callback runs. Returns how many fired.
  std::size_t expire(time_point now, std::size_t limit = 1024);

 private:
  boost::intrusive::multiset<timer, boost::intrusive::compare<timer::by_deadline>,
                             boost::intrusive::constant_time_size<false>>
      timers_;
};

}  // namespace lbha::proxy
