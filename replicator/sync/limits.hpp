// The peers port's limits, as pure logic on an injected time.
//
// syncd (the Asio shell) asks these before it spends anything on a socket:
// connection_limits caps how many connections one source address and all of
// them together may hold open; retry_backoff spaces the retries of a failing
// accept (EMFILE...) instead of spinning; rate_limiter lets one event through
// per interval (a log line about repeated accept errors, a peer's full
// resync request: sync_node defers the excess). None does I/O or reads a
// clock itself, so unit tests drive them with a manual clock.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.hpp"

namespace lbha::sync {

using namespace std::chrono_literals;

struct port_limits {
  std::size_t connections_per_source = 4;  // the partner needs 1, 2 during a collision
  std::size_t connections_total = 64;
};

class connection_limits {
 public:
  explicit connection_limits(port_limits limits) : limits_(limits) {}

  // True (and counted as open) when `source` may open one more connection.
  bool admit(const std::string& source);
  // An admitted connection from `source` closed.
  void release(const std::string& source);
  std::size_t open() const { return total_; }

 private:
  port_limits limits_;
  std::unordered_map<std::string, std::size_t> per_source_;
  std::size_t total_ = 0;
};

// first, 2 x first, ... up to `max`, until reset().
class retry_backoff {
 public:
  retry_backoff(clock::duration first, clock::duration max) : first_(first), max_(max) {}
  clock::duration next();
  void reset() { next_ = {}; }

 private:
  clock::duration first_, max_;
  clock::duration next_{};
};

// At most one event per interval.
class rate_limiter {
 public:
  explicit rate_limiter(clock::duration interval) : interval_(interval) {}
  // True, and the interval starts again, when the last allowed event is at
  // least `interval` old (or there was none).
  bool allow(clock::time_point now);
  // When the next event will be allowed (now or later).
  clock::time_point next_allowed(clock::time_point now) const;

 private:
  clock::duration interval_;
  std::optional<clock::time_point> last_;
};

}  // namespace lbha::sync
