#include "proxy/health_state.hpp"

#include <algorithm>

namespace lbha::proxy {

health_state::health_state(std::uint32_t rise, std::uint32_t fall)
    : rise_(std::max<std::uint32_t>(rise, 1)),
      fall_(std::max<std::uint32_t>(fall, 1)),
      counter_(rise_) {}

bool health_state::record(bool passed) {
  const std::uint32_t top = rise_ + fall_ - 1;
  if (passed) {
    if (counter_ < top) ++counter_;
    if (!up_ && counter_ >= rise_) {
      up_ = true;
      counter_ = top;
      return true;
    }
    return false;
  }
  if (counter_ > 0) --counter_;
  if (up_ && counter_ < rise_) {
    up_ = false;
    counter_ = 0;
    return true;
  }
  return false;
}

}  // namespace lbha::proxy
