// announcer: tells the LAN that this node holds the VIPs.
//
// announce() sends a burst of `count` rounds `interval` apart (a round is one
// gratuitous ARP per IPv4 VIP and one unsolicited neighbour advertisement per
// IPv6 VIP), the same burst again after `second_burst_delay` (switches still
// learning, hosts that missed the first), then one round every
// `refresh_interval` while the VIPs are held. cancel() (the VIPs were
// released, or the daemon stops) ends every pending round.
//
// Timers come from the scheduler seam; packets go out through the link_socket
// seam. io_context thread only.
#pragma once

#include <chrono>
#include <cstdint>

#include "heartbeatd/link_socket.hpp"
#include "heartbeatd/scheduler.hpp"
#include "heartbeatd/vip_installer.hpp"

namespace lbha::heartbeat {

struct announce_settings {
  std::uint32_t count = 3;
  std::chrono::milliseconds interval{10};
  std::chrono::milliseconds second_burst_delay{1000};  // 0: no second burst
  std::chrono::milliseconds refresh_interval{0};       // 0: no refresh
  bool reply_mode = false;                             // gratuitous ARP as replies
};

class announcer {
 public:
  announcer(scheduler& timers, const lbha::clock& clock, link_socket& link,
            const vip_installer& vips, announce_settings s);

  void announce();
  void cancel() { ++generation_; }
  void set_settings(announce_settings s) { settings_ = s; }

 private:
  void round();
  void burst(std::uint64_t generation, std::uint32_t remaining);
  void schedule_refresh(std::uint64_t generation);

  scheduler& timers_;
  const lbha::clock& clock_;
  link_socket& link_;
  const vip_installer& vips_;
  announce_settings settings_;
  std::uint64_t generation_ = 0;  // bumped by announce() and cancel(): older rounds stop
};

}  // namespace lbha::heartbeat
