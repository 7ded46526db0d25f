#include "heartbeatd/announcer.hpp"

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::heartbeat {

announcer::announcer(scheduler& timers, const lbha::clock& clock, link_socket& link,
                     const vip_installer& vips, announce_settings s)
    : timers_(timers), clock_(clock), link_(link), vips_(vips), settings_(s) {}

void announcer::announce() {
  if (!vips_.held()) return;
  const auto generation = ++generation_;
  burst(generation, std::max<std::uint32_t>(settings_.count, 1));
  if (settings_.second_burst_delay.count() > 0) {
    timers_.call_at(clock_.now() + settings_.second_burst_delay, [this, generation] {
      burst(generation, std::max<std::uint32_t>(settings_.count, 1));
    });
  }
  schedule_refresh(generation);
}

void announcer::burst(std::uint64_t generation, std::uint32_t remaining) {
  if (generation != generation_ || remaining == 0 || !vips_.held()) return;
  round();
  if (remaining == 1) return;
  timers_.call_at(clock_.now() + settings_.interval,
                  [this, generation, remaining] { burst(generation, remaining - 1); });
}

void announcer::schedule_refresh(std::uint64_t generation) {
  if (settings_.refresh_interval.count() <= 0) return;
  timers_.call_at(clock_.now() + settings_.refresh_interval, [this, generation] {
    if (generation != generation_ || !vips_.held()) return;
    round();
    schedule_refresh(generation);
  });
}

void announcer::round() {
  auto log = get_logger("heartbeatd");
  for (const auto& v : vips_.vips()) {
    if (v.is_v4()) {
      if (auto r = link_.send_arp(gratuitous(v.to_v4(), link_.mac(), settings_.reply_mode)); !r)
        log->warn("gratuitous ARP for {}: {}", v.to_string(), r.error().message());
    } else if (link_.nd_ready()) {
      if (auto r = link_.advertise(v.to_v6()); !r)
        log->warn("neighbour advertisement for {}: {}", v.to_string(), r.error().message());
    }
  }
}

}  // namespace lbha::heartbeat
