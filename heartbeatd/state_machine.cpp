#include "heartbeatd/state_machine.hpp"

#include <algorithm>
#include <tuple>

namespace lbha::heartbeat {

state_machine::state_machine(const clock& clock, settings s, std::uint64_t persisted_term)
    : clock_(clock),
      settings_(s),
      term_(persisted_term),
      path_heard_(std::max<std::size_t>(s.path_count, 1)),
      ping_ok_(!s.has_ping_nodes) {}

actions state_machine::start() {
  actions out;
  role_ = role::init;
  started_ = clock_.now();
  out.push_back({action_kind::remove_vips});
  out.push_back({action_kind::send_now});
  evaluate(out);
  return out;
}

flags state_machine::own_flags() const {
  return flags{ping_ok_, proxy_ready_, want_active_, yield_};
}

bool state_machine::peer_alive() const {
  const auto now = clock_.now();
  for (const auto& t : path_heard_)
    if (t && now - *t < settings_.deadtime) return true;
  return false;
}

std::optional<clock::time_point> state_machine::last_heard() const {
  std::optional<clock::time_point> newest;
  for (const auto& t : path_heard_)
    if (t && (!newest || *t > *newest)) newest = t;
  return newest;
}

peer_status state_machine::peer() const {
  peer_status s;
  s.heard = peer_heard_;
  s.alive = peer_alive();
  s.last = peer_;
  const auto now = clock_.now();
  for (const auto& t : path_heard_) {
    s.path_age.push_back(t ? std::optional<clock::duration>(now - *t) : std::nullopt);
    s.path_alive.push_back(t && now - *t < settings_.deadtime);
  }
  return s;
}

std::optional<clock::time_point> state_machine::next_deadline() const {
  const auto now = clock_.now();
  std::optional<clock::time_point> next;
  auto consider = [&](clock::time_point t) {
    if (t > now && (!next || t < *next)) next = t;
  };
  if (role_ == role::init) consider(started_ + settings_.initdead);
  const auto heard = last_heard();
  const bool alive = peer_alive();
  if (alive) {
    consider(*heard + settings_.deadtime);
    if (!warned_late_) consider(*heard + settings_.warntime);
  }
  const bool resting = role_ == role::passive || role_ == role::fault;
  if (resting && settings_.arp_probe && !probing_ && !probe_clear_) {
    if (alive && settings_.probe_lead.count() > 0)
      consider(std::max(*heard + settings_.deadtime - settings_.probe_lead, next_probe_));
    if (!alive) consider(next_probe_);  // a probe retry after a defended probe
  }
  if (role_ == role::active && reannounce_) consider(reannounce_since_ + settings_.deadtime);
  return next;
}

actions state_machine::tick() {
  actions out;
  const auto now = clock_.now();
  if (want_active_ && !force_ && now - want_active_since_ > 2 * settings_.deadtime)
    want_active_ = false;  // the peer never released: give up rather than surprise later
  if (yield_ && now - yield_since_ > 2 * settings_.deadtime) yield_ = false;
  if (peer_alive()) {
    auto newest = *std::max_element(path_heard_.begin(), path_heard_.end());
    if (newest && now - *newest >= settings_.warntime && !warned_late_) {
      warned_late_ = true;
      out.push_back({action_kind::warn_late});
    }
  }
  evaluate(out);
  return out;
}

actions state_machine::on_heartbeat(std::size_t path, const message& m) {
  actions out;
  if (path >= path_heard_.size()) return out;  // not a configured path: the caller's bug
  const bool was_active = peer_active();
  path_heard_[path] = clock_.now();
  peer_ = m;
  peer_heard_ = true;
  peer_term_ = std::max(peer_term_, m.term);
  warned_late_ = false;
  probe_clear_ = false;  // the peer is alive: a probe result from before no longer counts
  if (m.sender_role == role::active) {
    yield_ = false;  // our hand-over is done
    peer_on_lan_ = false;
  }
  if (role_ == role::active && was_active && m.sender_role != role::active && reannounce_) {
    // Rule 3: the loser has released; make the clients' caches point at us again.
    reannounce_ = false;
    out.push_back({action_kind::announce});
  }
  evaluate(out);
  return out;
}

actions state_machine::on_ping(bool reachable) { return on_health_bit(ping_ok_, reachable); }

actions state_machine::on_proxy_ready(bool ready) { return on_health_bit(proxy_ready_, ready); }

actions state_machine::on_health_bit(bool& bit, bool value) {
  actions out;
  if (value == bit) return out;
  bit = value;
  out.push_back({action_kind::send_now});  // the peer decides on our health bits
  evaluate(out);
  return out;
}

actions state_machine::on_probe_result(bool answered) {
  actions out;
  if (!probing_) return out;
  probing_ = false;
  if (answered) {
    // Someone holds the VIPs: the peer is alive, only the heartbeat path is broken.
    peer_on_lan_ = true;
    probe_clear_ = false;
    next_probe_ = clock_.now() + settings_.deadtime;
  } else {
    peer_on_lan_ = false;
    probe_clear_ = true;
  }
  evaluate(out);
  return out;
}

actions state_machine::on_conflict() {
  actions out;
  if (role_ != role::active) return out;
  ++conflicts_;
  if (peer_active()) {
    evaluate(out);  // rule 3 with the peer's authenticated term
    return out;
  }
  // An ARP or neighbour advertisement is unauthenticated: anyone on the LAN can forge one.
  // Only the peer's own authenticated heartbeats saying it is active are evidence enough to
  // give the VIPs up (above). A claim while the peer is passive, or silent, is a stale cache,
  // a third host or an attacker: keep the VIPs and claim them back, at most once per
  // deadtime so two nodes behind a broken heartbeat path do not answer each other's
  // announcements in a storm; rule 3 settles that dual-active once heartbeats cross again.
  ++unproven_conflicts_;
  if (reclaimed_ && clock_.now() - reclaimed_at_ < settings_.deadtime) return out;
  reclaimed_ = true;
  reclaimed_at_ = clock_.now();
  out.push_back({action_kind::announce});
  return out;
}

actions state_machine::make_active(bool force) {
  actions out;
  if (role_ == role::active) return out;
  want_active_ = true;
  force_ = force;
  want_active_since_ = clock_.now();
  yield_ = false;
  if (force) {
    take_over(out);
    return out;
  }
  out.push_back({action_kind::send_now});
  evaluate(out);
  return out;
}

bool state_machine::make_passive(actions& out) {
  if (role_ != role::active) return true;
  if (!peer_alive() || peer_.sender_role == role::fault) return false;
  yield_ = true;
  yield_since_ = clock_.now();
  release(out, role::passive);
  return true;
}

actions state_machine::reconfigure(settings s) {
  actions out;
  s.path_count = std::max<std::size_t>(s.path_count, 1);
  if (s.path_count != path_heard_.size()) path_heard_.assign(s.path_count, std::nullopt);
  if (s.has_ping_nodes != settings_.has_ping_nodes) ping_ok_ = !s.has_ping_nodes;
  settings_ = s;
  out.push_back({action_kind::send_now});
  evaluate(out);
  return out;
}

bool state_machine::we_win_dual_active() const {
  // Higher term, then higher priority, then lower node id.
  return std::make_tuple(term_, settings_.priority, peer_.node_id) >
         std::make_tuple(peer_.term, peer_.priority, settings_.node_id);
}

bool state_machine::peer_healthier() const {
  const bool peer_ping = peer_.health.ping_ok;
  if (peer_ping != ping_ok_) return peer_ping;
  return peer_.health.proxy_ready && !proxy_ready_;
}

bool state_machine::we_are_preferred() const {
  // Both alive, neither active: who should take over. Each side evaluates the same order
  // on the same facts, so exactly one of them wins.
  const flags& p = peer_.health;
  auto key = [](bool ping, bool yield, bool want, bool proxy, std::uint64_t term, std::uint8_t prio,
                std::uint32_t node) {
    return std::make_tuple(ping, !yield, want, proxy, term, prio, ~node);
  };
  return key(ping_ok_, yield_, want_active_, proxy_ready_, term_, settings_.priority,
             settings_.node_id) > key(p.ping_ok, p.yield, p.want_active, p.proxy_ready, peer_.term,
                                      peer_.priority, peer_.node_id);
}

void state_machine::evaluate(actions& out) {
  for (int i = 0; i < 4 && decide(out); ++i) {
  }
}

bool state_machine::decide(actions& out) {
  const auto now = clock_.now();
  const bool alive = peer_alive();
  switch (role_) {
    case role::init:
      if (alive || now - started_ >= settings_.initdead) {
        set_role(out, isolated() ? role::fault : role::passive);
        return true;
      }
      return false;

    case role::passive:
    case role::fault: {
      const role resting = isolated() ? role::fault : role::passive;
      if (role_ != resting) {
        set_role(out, resting);
        return true;
      }
      if (alive && settings_.arp_probe && settings_.probe_lead.count() > 0 && !isolated() &&
          !probing_ && !probe_clear_ && now >= next_probe_) {
        const auto heard = last_heard();
        if (heard && now - *heard >= settings_.deadtime - settings_.probe_lead) {
          probing_ = true;  // early probe: the answer is in when deadtime expires
          out.push_back({action_kind::probe_vips});
        }
      }
      if (!alive) {
        if (isolated()) return false;  // rule 1: maybe we are the one cut off
        if (settings_.arp_probe && !probe_clear_) {
          if (!probing_ && now >= next_probe_) {
            probing_ = true;
            out.push_back({action_kind::probe_vips});
          }
          return false;
        }
        take_over(out);
        return true;
      }
      if (peer_.sender_role == role::active) {
        if (settings_.auto_failback && !want_active_ && !yield_ && !isolated() &&
            settings_.priority > peer_.priority && !peer_healthier()) {
          want_active_ = true;  // ask the active node to release, as make-active does
          want_active_since_ = now;
          out.push_back({action_kind::send_now});
        }
        return false;
      }
      if (isolated()) return false;
      if (want_active_ || peer_.sender_role == role::fault || we_are_preferred()) {
        take_over(out);
        return true;
      }
      return false;
    }

    case role::active:
      if (!alive) return false;  // alone: keep serving, even when our ping node is gone
      if (peer_.sender_role == role::active) {
        if (we_win_dual_active()) {
          if (!reannounce_) {
            reannounce_ = true;  // announce again once the loser has released
            reannounce_since_ = now;
          } else if (now - reannounce_since_ >= settings_.deadtime) {
            // The loser has not released: it may not hear us (one-way loss). Announce anyway;
            // its conflict detection sees our ARP and releases.
            reannounce_since_ = now;
            out.push_back({action_kind::announce});
          }
          return false;
        }
        release(out, role::passive);
        return true;
      }
      if (peer_.health.want_active && !want_active_ && peer_.sender_role != role::fault) {
        yield_ = true;
        yield_since_ = now;
        release(out, role::passive);
        return true;
      }
      if (isolated() && peer_.health.ping_ok) {
        release(out, role::fault);  // rule 1: we are the isolated one
        return true;
      }
      if (peer_healthier() && peer_.sender_role == role::passive) {
        yield_ = true;
        yield_since_ = now;
        release(out, role::passive);
        return true;
      }
      return false;
  }
  return false;
}

void state_machine::take_over(actions& out) {
  term_ = std::max(term_, peer_term_) + 1;
  ++takeovers_;
  const auto heard = last_heard();
  last_takeover_outage_ =
      heard ? std::optional<clock::duration>(clock_.now() - *heard) : std::nullopt;
  want_active_ = false;
  force_ = false;
  yield_ = false;
  probing_ = false;
  probe_clear_ = false;
  peer_on_lan_ = false;
  reannounce_ = false;
  out.push_back({action_kind::persist_term, term_});
  out.push_back({action_kind::add_vips});
  out.push_back({action_kind::announce});
  set_role(out, role::active);
}

void state_machine::release(actions& out, role to) {
  reannounce_ = false;
  out.push_back({action_kind::remove_vips});
  set_role(out, to);
}

void state_machine::set_role(actions& out, role to) {
  role_ = to;
  if (to != role::init) out.push_back({action_kind::notify, term_, to});
  out.push_back({action_kind::send_now});
}

}  // namespace lbha::heartbeat
