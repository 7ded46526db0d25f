#include "proxy/timer_queue.hpp"

namespace lbha::proxy {

void timer_queue::schedule(timer& t, time_point at) {
  t.unlink();
  t.deadline_ = at;
  timers_.insert(t);
}

std::optional<time_point> timer_queue::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.begin()->deadline_;
}

std::size_t timer_queue::expire(time_point now, std::size_t limit) {
  std::size_t fired = 0;
  while (fired < limit && !timers_.empty() && timers_.begin()->deadline_ <= now) {
    timer& t = *timers_.begin();
    timers_.erase(timers_.begin());
    ++fired;
    t.on_expiry_();
  }
  return fired;
}

}  // namespace lbha::proxy
