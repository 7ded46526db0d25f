// Time as an injected dependency.
//
// Protocol logic takes a `clock&` (or a `now`) so unit tests drive it with a
// manual_clock and never sleep. Intervals always use the steady clock; wall
// time is for display only.
#pragma once

#include <atomic>
#include <chrono>

namespace lbha {

class clock {
 public:
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  virtual ~clock() = default;
  virtual time_point now() const = 0;
};

// The real monotonic clock.
class steady_clock final : public clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that moves only when told. Safe to read from several threads.
class manual_clock final : public clock {
 public:
  explicit manual_clock(time_point start = time_point{} + std::chrono::hours(1)) : now_(start) {}

  time_point now() const override { return now_.load(); }
  void advance(duration d) { now_.store(now_.load() + d); }
  void set(time_point t) { now_.store(t); }

 private:
  std::atomic<time_point> now_;
};

}  // namespace lbha
