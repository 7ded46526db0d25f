#include "heartbeatd/scheduler.hpp"

namespace lbha::heartbeat {

scheduler::timer_id asio_scheduler::call_at(clock::time_point at, callback fn) {
  const timer_id id = ++next_id_;
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(at - clock_.now());
  pending_->emplace(id, timer);
  timer->async_wait([pending = std::weak_ptr<pending_map>(pending_), id,
                     fn = std::move(fn)](boost::system::error_code ec) {
    auto map = pending.lock();
    if (ec || !map || map->erase(id) == 0) return;  // cancelled
    fn();
  });
  return id;
}

void asio_scheduler::cancel(timer_id id) {
  auto it = pending_->find(id);
  if (it == pending_->end()) return;
  it->second->cancel();
  pending_->erase(it);
}

void asio_scheduler::cancel_all() {
  for (auto& [id, timer] : *pending_) timer->cancel();
  pending_->clear();
}

}  // namespace lbha::heartbeat
