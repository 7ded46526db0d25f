#include "replicator/sync/limits.hpp"

#include <algorithm>
#include <cassert>

namespace lbha::sync {

bool connection_limits::admit(const std::string& source) {
  auto& n = per_source_[source];
  if (n >= limits_.connections_per_source || total_ >= limits_.connections_total) {
    if (n == 0) per_source_.erase(source);
    return false;
  }
  ++n;
  ++total_;
  return true;
}

void connection_limits::release(const std::string& source) {
  auto it = per_source_.find(source);
  assert(it != per_source_.end() && it->second > 0 && total_ > 0);
  if (it == per_source_.end()) return;
  --total_;
  if (--it->second == 0) per_source_.erase(it);
}

clock::duration retry_backoff::next() {
  next_ = next_ == clock::duration{} ? first_ : std::min(next_ * 2, max_);
  return next_;
}

bool rate_limiter::allow(clock::time_point now) {
  if (last_ && now - *last_ < interval_) return false;
  last_ = now;
  return true;
}

clock::time_point rate_limiter::next_allowed(clock::time_point now) const {
  if (!last_) return now;
  return std::max(now, *last_ + interval_);
}

}  // namespace lbha::sync
