#include "heartbeatd/prober.hpp"

#include <algorithm>
#include <random>

#include "common/logging.hpp"

namespace lbha::heartbeat {

prober::prober(scheduler& timers, const lbha::clock& clock, link_socket& link,
               const vip_installer& vips, probe_settings s, callbacks cb)
    : timers_(timers), clock_(clock), link_(link), vips_(vips), settings_(s), cb_(std::move(cb)) {}

void prober::start() {
  const auto id = ++id_;
  probing_ = true;
  defended_ = false;
  std::random_device random;
  for (auto& b : nonce_) b = static_cast<std::uint8_t>(random());
  const auto now = clock_.now();
  const bool nd = static_cast<bool>(link_.nd_ready());
  const bool any = std::any_of(vips_.vips().begin(), vips_.vips().end(),
                               [nd](const ip_address& v) { return v.is_v4() || nd; });
  if (!any) {  // nothing to probe: nobody can hold it
    timers_.call_at(now, [this, id] { finish(id); });
    return;
  }
  const auto count = std::max<std::uint32_t>(settings_.count, 1);
  const auto spacing = settings_.timeout / count;
  send(id);
  for (std::uint32_t i = 1; i < count; ++i)
    timers_.call_at(now + spacing * i, [this, id] { send(id); });
  timers_.call_at(now + settings_.timeout, [this, id] { finish(id); });
}

void prober::cancel() {
  ++id_;
  probing_ = false;
}

void prober::send(std::uint64_t id) {
  if (!probing_ || id != id_) return;
  const bool nd = static_cast<bool>(link_.nd_ready());
  for (const auto& v : vips_.vips()) {
    if (v.is_v4()) (void)link_.send_arp(probe(v.to_v4(), link_.mac()));
    else if (nd) (void)link_.probe_nd(v.to_v6(), nonce_);
  }
}

void prober::finish(std::uint64_t id) {
  if (!probing_ || id != id_) return;
  probing_ = false;
  if (defended_)
    get_logger("heartbeatd")
        ->warn("peer silent on every heartbeat path but its heartbeatd defends the VIPs: "
               "heartbeat path broken, staying passive");
  cb_.on_result(defended_);
}

void prober::on_arp(const arp_packet& p) {
  if (probing_ && p.is_announcement() && vips_.is_vip(p.sender_ip)) {
    defended_ = true;
    finish(id_);  // no need to wait out the timeout
    return;
  }
  if (!vips_.held()) return;
  if (p.is_probe() && vips_.is_vip(p.target_ip)) {
    // Defend: tell the prober (and everyone) a live heartbeatd holds this VIP.
    if (may_defend(p.target_ip)) (void)link_.send_arp(gratuitous(p.target_ip, link_.mac(), false));
    return;
  }
  if (p.is_announcement() && vips_.is_vip(p.sender_ip)) {
    get_logger("heartbeatd")
        ->warn("ARP conflict: {} claims VIP {}", to_string(p.sender_mac), p.sender_ip.to_string());
    cb_.on_conflict();
  }
}

bool prober::may_defend(const ip_address& vip) {
  // One defence per VIP per defend_spacing: a flood of probes must not turn us into
  // an amplifier. A prober's probes are timeout/count apart (15 ms by default), and it
  // takes any defence it sees, not one per probe.
  const auto now = clock_.now();
  auto [it, fresh] = last_defence_.try_emplace(vip, now);
  if (!fresh && now - it->second < defend_spacing) return false;
  it->second = now;
  return true;
}

void prober::on_nd(const nd_message& m) {
  if (!vips_.is_vip(m.target)) return;
  const bool advertisement = m.type == nd_message::kind::advertisement;
  if (probing_ && advertisement && m.nonce == nonce_) {
    defended_ = true;  // a live heartbeatd answered our probe, not just a kernel
    finish(id_);
    return;
  }
  if (!vips_.held()) return;
  if (m.is_dad_probe()) {
    // Defend, echoing the nonce so the prober knows a heartbeatd (not a kernel) answered.
    if (may_defend(m.target)) (void)link_.advertise(m.target, m.nonce);
    return;
  }
  if (advertisement && !m.solicited && m.link_layer) {
    get_logger("heartbeatd")
        ->warn("neighbour advertisement conflict: {} claims VIP {}", to_string(*m.link_layer),
               m.target.to_string());
    cb_.on_conflict();
  }
}

}  // namespace lbha::heartbeat
