// prober: is anyone else holding our VIPs? And defending them while we do.
//
// start() sends `count` ARP probes (IPv4 VIPs) and DAD probes with a fresh
// nonce (IPv6 VIPs) spread over `timeout`, then reports on_result(defended):
// true as soon as a live heartbeatd defends one of the VIPs (an ARP
// announcement, or an advertisement echoing our nonce; see arp.hpp and nd.hpp
// for why a kernel's reply does not count), false when the timeout passes.
//
// While the VIPs are held it answers other hosts' probes (the defence, at most
// once per VIP per defend_spacing) and reports an announcement for a VIP from
// another host as on_conflict(); the state machine decides what a conflict is
// worth (an unauthenticated claim alone never releases, state_machine.hpp).
//
// Timers come from the scheduler seam, packets from the link_socket seam.
// io_context thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>

#include "heartbeatd/link_socket.hpp"
#include "heartbeatd/scheduler.hpp"
#include "heartbeatd/vip_installer.hpp"

namespace lbha::heartbeat {

struct probe_settings {
  std::uint32_t count = 2;
  std::chrono::milliseconds timeout{30};
};

// At most one defence per VIP this often, however many probes arrive.
inline constexpr std::chrono::milliseconds defend_spacing{10};

class prober {
 public:
  struct callbacks {
    std::function<void(bool defended)> on_result;
    std::function<void()> on_conflict;
  };

  prober(scheduler& timers, const lbha::clock& clock, link_socket& link, const vip_installer& vips,
         probe_settings s, callbacks cb);

  void start();
  void cancel();
  bool probing() const { return probing_; }
  void set_settings(probe_settings s) { settings_ = s; }

  void on_arp(const arp_packet& p);
  void on_nd(const nd_message& m);

 private:
  void send(std::uint64_t id);
  void finish(std::uint64_t id);
  bool may_defend(const ip_address& vip);

  scheduler& timers_;
  const lbha::clock& clock_;
  link_socket& link_;
  const vip_installer& vips_;
  probe_settings settings_;
  callbacks cb_;
  bool probing_ = false;
  bool defended_ = false;
  std::uint64_t id_ = 0;
  nd_nonce nonce_{};  // of the IPv6 probe in flight; a defence echoes it
  std::map<ip_address, clock::time_point> last_defence_;
};

}  // namespace lbha::heartbeat
