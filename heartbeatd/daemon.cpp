#include "heartbeatd/daemon.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::heartbeat {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

// ---------------------------------------------------------------- status_board

void status_board::bump() {
  {
    std::lock_guard lock(mutex_);
    ++version_;
  }
  cv_.notify_all();
}

std::uint64_t status_board::wait(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  cv_.wait_for(lock, timeout, [&] { return version_ != seen || closed_; });
  return version_;
}

void status_board::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool status_board::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

// ---------------------------------------------------------------- heartbeat_daemon

namespace {

auto logger() { return get_logger("heartbeatd"); }

std::vector<asio::ip::address> addresses_of(
    const google::protobuf::RepeatedPtrField<std::string>& texts) {
  std::vector<asio::ip::address> out;
  for (const auto& t : texts) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(t, ec);
    if (!ec) out.push_back(a);  // validated by the config loader
  }
  return out;
}

std::vector<asio::ip::udp::endpoint> peers_of(const v1::NodeConfig& node) {
  std::vector<asio::ip::udp::endpoint> out;
  for (const auto& a : addresses_of(node.peer_addresses()))
    out.emplace_back(a, static_cast<unsigned short>(node.ports().heartbeat()));
  return out;
}

hooks hooks_of(const v1::NodeConfig& node) {
  return hooks{node.notify().on_active(), node.notify().on_passive(), node.notify().on_fault()};
}

v1::Role to_proto(role r) { return static_cast<v1::Role>(static_cast<int>(r)); }

// The pairing identity; unpaired (standalone), node id 1.
identity identity_of(const daemon_inputs& in) {
  identity id = in.id.value_or(identity{});
  if (id.node_id == 0) id.node_id = 1;
  return id;
}

}  // namespace

heartbeat_daemon::heartbeat_daemon(asio::io_context& io, const lbha::clock& clock, daemon_inputs in)
    : heartbeat_daemon(io, clock, in, real_seams(io, clock)) {}

heartbeat_daemon::heartbeat_daemon(asio::io_context& io, const lbha::clock& clock, daemon_inputs in,
                                   daemon_seams seams)
    : io_(io),
      clock_(clock),
      seams_(std::move(seams)),
      in_(std::move(in)),
      keys_(in_.keys),
      id_(identity_of(in_)),
      sequence_(initial_sequence(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()))),
      transport_(seams_.open_udp, peers_of(in_.node), addresses_of(in_.node.local_addresses()),
                 [this](std::size_t path, std::span<const std::uint8_t> d,
                        const asio::ip::udp::endpoint& from) { on_datagram(path, d, from); }),
      notifier_(clock_, hooks_of(in_.node), alert_settings_of(in_.node)) {}

heartbeat_daemon::~heartbeat_daemon() { stop(); }

settings heartbeat_daemon::make_settings() const {
  const auto& ha = in_.cluster.ha();
  settings s;
  s.node_id = id_.node_id;
  s.priority = static_cast<std::uint8_t>(std::clamp<std::uint32_t>(in_.node.priority(), 1, 255));
  s.interval = milliseconds(ha.interval_ms());
  s.deadtime = milliseconds(ha.deadtime_ms());
  s.warntime = milliseconds(ha.warntime_ms());
  s.initdead = milliseconds(ha.initdead_ms());
  s.auto_failback = ha.auto_failback();
  s.arp_probe = ha.arp_probe().enabled();
  s.probe_lead = milliseconds(ha.arp_probe().timeout_ms() + 2);
  s.has_ping_nodes = in_.node.ping_nodes_size() > 0;
  s.path_count = std::max<std::size_t>(transport_.peers().size(), 1);
  return s;
}

announce_settings heartbeat_daemon::make_announce_settings() const {
  const auto& garp = in_.cluster.ha().garp();
  return {garp.count(), milliseconds(garp.interval_ms()), milliseconds(garp.second_burst_delay_ms()),
          milliseconds(garp.refresh_interval_ms()), garp.mode() == v1::GarpPolicy::MODE_REPLY};
}

probe_settings heartbeat_daemon::make_probe_settings() const {
  const auto& probe = in_.cluster.ha().arp_probe();
  return {probe.count(), milliseconds(probe.timeout_ms())};
}

std::chrono::milliseconds heartbeat_daemon::make_active_timeout() const {
  const auto& ha = in_.cluster.ha();
  return milliseconds(2 * ha.deadtime_ms() + ha.arp_probe().timeout_ms() + 500);
}

std::uint64_t heartbeat_daemon::wall_ms() const {
  // The sender's wall clock travels in the packet for the staleness check: the only
  // place a cross-host time is compared, so it must be wall time (NTP-synced nodes).
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

result<void> heartbeat_daemon::start() {
  auto term = state::read_term(state::state_files(in_.state_dir).term());
  if (!term) return term.error();
  auto addresses = seams_.open_addresses(in_.node.interface());
  if (!addresses) return addresses.error();
  addresses_ = std::move(addresses.value());
  auto link = seams_.open_link(
      addresses_->ifindex(),
      {[this](const arp_packet& p) {
         if (prober_ && !stopped_) prober_->on_arp(p);
       },
       [this](const nd_message& m) {
         if (prober_ && !stopped_) prober_->on_nd(m);
       }});
  if (!link) return link.error().prefixed(in_.node.interface());
  link_ = std::move(link.value());
  vips_ = std::make_unique<vip_installer>(*addresses_, vips_of(in_.cluster));
  if (auto r = link_->set_vips(vips_->vips()); !r) return r.error().prefixed(in_.node.interface());
  if (auto nd = link_->nd_ready(); !nd) {
    if (vips_->has_v6()) return nd.error().prefixed(in_.node.interface());
    logger()->info("{}: IPv6 VIPs cannot be used", nd.error().message());
  }
  auto& timers = *seams_.timers;
  announcer_ =
      std::make_unique<announcer>(timers, clock_, *link_, *vips_, make_announce_settings());
  prober_ = std::make_unique<prober>(
      timers, clock_, *link_, *vips_, make_probe_settings(),
      prober::callbacks{[this](bool defended) { on_probe_result(defended); },
                        [this] { on_conflict(); }});
  if (!standalone()) {
    if (auto r = transport_.open(); !r) return r.error();
  }

  sm_ = std::make_unique<state_machine>(clock_, make_settings(), term.value());

  std::vector<ping_target> targets;
  for (const auto& p : in_.node.ping_nodes()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(p.address(), ec);
    if (ec) continue;  // validated by the config loader
    targets.push_back(
        {a, p.method() == v1::PingNode::METHOD_TCP, static_cast<std::uint16_t>(p.port())});
  }
  if (!targets.empty()) {
    pinger_ = std::make_unique<pinger>(io_, targets, 200ms, [this](bool reachable) {
      logger()->info("ping node(s) {}", reachable ? "reachable" : "unreachable");
      run(sm_->on_ping(reachable));
    });
    if (auto r = pinger_->start(); !r) return r.error().prefixed("ping socket");
  }
  logger()->info("node {} (id {}) on {}: {} VIP(s), {} peer path(s), term {}{}",
                 in_.node.node_name(), id_.node_id, in_.node.interface(), vips_->vips().size(),
                 transport_.peers().size(), term.value(),
                 standalone() ? ", standalone (no pairing)" : "");
  started_ = true;
  run(sm_->start());
  readiness_ = seams_.readiness(in_.run_dir);
  readiness_->start([this](bool ready) {
    if (!stopped_) run(sm_->on_proxy_ready(ready));
  });
  next_tick_ = clock_.now();
  do_tick();
  return success();
}

void heartbeat_daemon::stop() {
  if (stopped_ || !started_) return;
  stopped_ = true;
  if (readiness_) readiness_->stop();
  if (vips_->held()) {  // a clean stop hands the VIPs over; the peer sees us gone
    announcer_->cancel();
    vips_->remove();
  }
  prober_->cancel();
  seams_.timers->cancel_all();
  if (pinger_) pinger_->stop();
  link_->close();
  transport_.close();
  notifier_.stop();
  board_.close();
}

void heartbeat_daemon::on_datagram(std::size_t path, std::span<const std::uint8_t> datagram,
                                   const asio::ip::udp::endpoint& from) {
  if (stopped_) return;
  auto m = decode(datagram, id_.cluster, keys_);
  auto drop = [&](errc reason) {
    ++dropped_[index_of(reason)];
    logger()->debug("dropped heartbeat from {}: {}", from.address().to_string(), to_string(reason));
  };
  if (!m) return drop(static_cast<errc>(m.error().code().value()));
  if (m.value().node_id == id_.node_id) return drop(errc::own_node);
  if (auto r = replay_.check(m.value(), wall_ms()); !r)
    return drop(static_cast<errc>(r.error().code().value()));
  if (path == transport::no_path) {
    ++unknown_source_;  // authentic, but from an address that is not a configured path
    return;
  }
  ++received_;
  run(sm_->on_heartbeat(path, m.value()));
}

void heartbeat_daemon::send_heartbeat() {
  if (standalone() || stopped_) return;
  message m;
  m.sender_role = sm_->current_role();
  m.priority = sm_->priority();
  m.health = sm_->own_flags();
  m.cluster = id_.cluster;
  m.node_id = id_.node_id;
  m.term = sm_->term();
  m.generation = in_.cluster.generation();
  m.timestamp_ms = wall_ms();
  // A sequence number per datagram: the peer's anti-replay would drop the same one
  // arriving on a second path.
  for (std::size_t path = 0; path < transport_.path_count(); ++path) {
    m.sequence = sequence_++;
    if (transport_.send(path, encode(m, keys_.signing_key()))) ++sent_;
  }
}

void heartbeat_daemon::do_tick() {
  if (stopped_) return;
  send_heartbeat();
  run(sm_->tick());
  notifier_.reap();
  next_tick_ += sm_->config().interval;
  if (next_tick_ < clock_.now()) next_tick_ = clock_.now();  // we were late: do not burst
  seams_.timers->call_at(next_tick_, [this] { do_tick(); });
}

void heartbeat_daemon::arm_deadline() {
  // One timer on the state machine's next deadline (the peer's deadtime expiring, the
  // early probe, initdead...), so it is met on time rather than at the next tick.
  const auto next = sm_->next_deadline();
  if (next == deadline_) return;
  seams_.timers->cancel(deadline_timer_);
  deadline_timer_ = 0;
  deadline_ = next;
  if (!next) return;
  deadline_timer_ = seams_.timers->call_at(*next, [this] {
    deadline_timer_ = 0;
    deadline_.reset();
    if (!stopped_) run(sm_->tick());
  });
}

void heartbeat_daemon::run(const actions& acts) {
  for (const auto& a : acts) {
    switch (a.kind) {
      case action_kind::persist_term:
        // The write fsyncs (tens of ms on some disks): it runs right after this batch, so
        // the VIPs and the first GARP burst do not wait for the disk. A crash inside that
        // window loses only this increment, and the peer still orders terms correctly
        // because every takeover goes past the highest term it has seen.
        seams_.timers->call_at(clock_.now(), [this, term = a.term] {
          if (auto r = state::write_term(state::state_files(in_.state_dir).term(), term); !r)
            logger()->error("cannot persist term {}: {}", term, r.error().message());
        });
        break;
      case action_kind::add_vips:
        vips_->add();
        break;
      case action_kind::remove_vips:
        announcer_->cancel();  // no more announcements for addresses we no longer hold
        vips_->remove();
        break;
      case action_kind::announce:
        announcer_->announce();
        break;
      case action_kind::probe_vips:
        prober_->start();
        break;
      case action_kind::notify: {
        logger()->info("role {} (term {})", to_string(a.new_role), a.term);
        std::vector<std::string> vips;
        for (const auto& v : vips_->vips()) vips.push_back(v.to_string());
        notifier_.notify(a.new_role, vips);
        break;
      }
      case action_kind::send_now:
        send_heartbeat();
        break;
      case action_kind::warn_late:
        logger()->warn("peer heartbeat later than warntime ({} ms)",
                       in_.cluster.ha().warntime_ms());
        break;
    }
  }
  if (stopped_) return;
  arm_deadline();
  watch_peer();
  publish();
}

void heartbeat_daemon::watch_peer() {
  // Only a peer that was heard and then went silent is lost; a node that
  // starts alone has lost nothing, and only a lost peer can come back.
  const auto peer = sm_->peer();
  if (peer.alive == peer_alive_) return;
  peer_alive_ = peer.alive;
  std::string addresses;
  for (const auto& a : in_.node.peer_addresses()) addresses += (addresses.empty() ? "" : ",") + a;
  const std::string role_now(to_string(sm_->current_role()));
  if (!peer.alive) {
    peer_lost_ = true;
    logger()->warn("peer {} lost: no heartbeat on any path for {} ms", addresses,
                   in_.cluster.ha().deadtime_ms());
    notifier_.alert({"peer_lost",
                     "The peer " + addresses + " is lost: no heartbeat on any path for " +
                         std::to_string(in_.cluster.ha().deadtime_ms()) + " ms; this node is " +
                         role_now + ".",
                     {{"PEER", addresses},
                      {"PEER_NODE_ID", std::to_string(peer.last.node_id)},
                      {"ROLE", role_now}}});
    return;
  }
  if (!peer_lost_) return;
  peer_lost_ = false;
  const std::string peer_role(to_string(peer.last.sender_role));
  logger()->info("peer {} back ({})", addresses, peer_role);
  notifier_.alert(
      {"peer_back",
       "The peer " + addresses + " is back (" + peer_role + "); this node is " + role_now + ".",
       {{"PEER", addresses},
        {"PEER_NODE_ID", std::to_string(peer.last.node_id)},
        {"PEER_ROLE", peer_role},
        {"ROLE", role_now}}});
}

void heartbeat_daemon::on_probe_result(bool defended) {
  if (!stopped_) run(sm_->on_probe_result(defended));
}

void heartbeat_daemon::on_conflict() {
  if (!stopped_) run(sm_->on_conflict());
}

void heartbeat_daemon::publish() {
  const auto peer = sm_->peer();
  std::string paths;
  for (bool alive : peer.path_alive) paths += alive ? '1' : '0';
  const std::string summary = fmt::format(
      "{}/{}/{}/{}/{}/{}/{}/{}/{}/{}", static_cast<int>(sm_->current_role()), sm_->term(),
      peer.alive, static_cast<int>(peer.last.sender_role), sm_->ping_ok(), sm_->proxy_ready(),
      sm_->peer_holds_vips_on_lan(), vips_->held(), sm_->want_active(), paths);
  if (summary == last_summary_) return;
  last_summary_ = summary;
  board_.bump();
}

lbha::v1::HaStatus heartbeat_daemon::status() const {
  v1::HaStatus s;
  const auto peer = sm_->peer();
  s.set_node_name(in_.node.node_name());
  s.set_role(to_proto(sm_->current_role()));
  s.set_term(sm_->term());
  s.set_priority(sm_->priority());
  s.set_node_id(id_.node_id);
  s.set_peer_alive(peer.alive);
  *s.mutable_alert_hooks() = to_proto(notifier_.alert_counters());
  *s.mutable_notify_hooks() = to_proto(notifier_.role_counters());
  if (peer.heard) {
    s.set_peer_role(to_proto(peer.last.sender_role));
    s.set_peer_node_id(peer.last.node_id);
    s.set_peer_term(peer.last.term);
    s.set_peer_priority(peer.last.priority);
    s.set_peer_ping_ok(peer.last.health.ping_ok);
    s.set_peer_proxy_ready(peer.last.health.proxy_ready);
    s.set_peer_config_generation(peer.last.generation);
  }
  std::int64_t newest = -1;
  const auto& peers = transport_.peers();
  for (std::size_t i = 0; i < peers.size(); ++i) {
    auto* p = s.add_paths();
    p->set_address(peers[i].address().to_string());
    const auto& age = i < peer.path_age.size() ? peer.path_age[i] : std::nullopt;
    const std::int64_t ms =
        age ? std::chrono::duration_cast<std::chrono::milliseconds>(*age).count() : -1;
    p->set_last_heard_ms(ms);
    p->set_alive(i < peer.path_alive.size() && peer.path_alive[i]);
    if (ms >= 0 && (newest < 0 || ms < newest)) newest = ms;
  }
  s.set_last_heartbeat_age_ms(newest);
  s.set_ping_configured(sm_->config().has_ping_nodes);
  s.set_ping_ok(sm_->ping_ok());
  s.set_proxy_ready(sm_->proxy_ready());
  auto& dropped = *s.mutable_dropped();
  for (std::size_t i = 0; i < errc_count; ++i)
    dropped[std::string(to_string(static_cast<errc>(i + 1)))] = dropped_[i];
  dropped["unknown_source"] = unknown_source_;
  s.set_received(received_);
  s.set_sent(sent_);
  for (const auto& v : vips_->vips()) s.add_vips(v.to_string());
  s.set_vips_held(vips_->held());
  s.set_peer_holds_vips_on_lan(sm_->peer_holds_vips_on_lan());
  s.set_takeovers(sm_->takeovers());
  if (const auto outage = sm_->last_takeover_outage()) {
    s.mutable_last_takeover()->set_outage_ms(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(*outage).count()));
  }
  s.set_conflicts(sm_->conflicts());
  s.set_standalone(standalone());
  s.set_want_active(sm_->want_active());
  s.set_config_generation(in_.cluster.generation());
  s.set_interface(in_.node.interface());
  auto& link = *s.mutable_link_dropped();
  const auto put = [&link](const char* socket, const socket_counters& c) {
    const std::string name(socket);
    link[name + "_ignored"] = c.ignored;
    link[name + "_budget_yields"] = c.budget_yields;
    link[name + "_queue_drops"] = c.queue_drops;
  };
  const auto counters = link_->counters();
  put("arp", counters.arp);
  put("nd", counters.nd);
  if (pinger_) put("ping", pinger_->counters());
  link["unproven_conflicts"] = sm_->unproven_conflicts();
  return s;
}

void heartbeat_daemon::make_active(bool force) {
  logger()->info("make-active requested{}", force ? " (force)" : "");
  run(sm_->make_active(force));
}

result<void> heartbeat_daemon::make_passive() {
  actions acts;
  if (!sm_->make_passive(acts))
    return error(errc::no_live_peer,
                 "the peer is not alive and ready to take over: refusing to leave the VIPs "
                 "unowned");
  logger()->info("make-passive: handing over to the peer");
  run(acts);
  return success();
}

void heartbeat_daemon::hand_over_then(std::chrono::milliseconds limit,
                                      std::function<void()> done) {
  if (stopped_ || standalone() || sm_->current_role() != role::active) {
    done();
    return;
  }
  if (auto handed = make_passive(); !handed) {
    logger()->warn("stopping without a handover: {}", handed.error().message());
    done();
    return;
  }
  logger()->info("stopping: the peer takes the VIPs over first (at most {} ms)", limit.count());
  await_peer_active(clock_.now() + limit, std::move(done));
}

void heartbeat_daemon::await_peer_active(clock::time_point until, std::function<void()> done) {
  if (stopped_ || sm_->peer_active() || clock_.now() >= until) {
    if (!stopped_ && !sm_->peer_active()) {
      logger()->warn("the peer did not report itself active in time: stopping anyway");
    }
    done();
    return;
  }
  // Heartbeats go on meanwhile (the interval tick): the peer sees this node
  // passive and alive, and takes over at once rather than after a deadtime.
  seams_.timers->call_at(clock_.now() + milliseconds(in_.cluster.ha().interval_ms()),
                         [this, until, done = std::move(done)]() mutable {
                           await_peer_active(until, std::move(done));
                         });
}

result<void> heartbeat_daemon::apply_pairing(const daemon_inputs& in) {
  // `lbctl pair` and `unpair` reach a running daemon as a reload: a keyring where
  // there was none starts heartbeating, none where there was one stops it, and a
  // new key or identity (re-pairing, key rotation) applies from the next packet.
  const identity next = identity_of(in);
  const bool was_standalone = standalone();
  const bool now_standalone = in.keys.empty();
  if (was_standalone && !now_standalone) {
    // The paths came from node.yaml at start; reload refuses to change them.
    if (auto r = transport_.open(); !r) return r.error();  // still standalone
    logger()->info("paired: heartbeating {} peer address(es) as node {}",
                   transport_.peers().size(), next.node_id);
  } else if (!was_standalone && now_standalone) {
    transport_.close();
    logger()->info("unpaired: standalone");
  }
  if (next.cluster != id_.cluster || next.node_id != id_.node_id) replay_ = anti_replay{};
  id_ = next;
  keys_ = in.keys;
  return success();
}

result<std::string> heartbeat_daemon::reload(daemon_inputs in) {
  if (in.node.interface() != in_.node.interface() ||
      in.node.ports().heartbeat() != in_.node.ports().heartbeat() ||
      in.node.peer_addresses().size() != in_.node.peer_addresses().size() ||
      !std::equal(in.node.peer_addresses().begin(), in.node.peer_addresses().end(),
                  in_.node.peer_addresses().begin()) ||
      in.node.local_addresses().size() != in_.node.local_addresses().size() ||
      !std::equal(in.node.local_addresses().begin(), in.node.local_addresses().end(),
                  in_.node.local_addresses().begin()))
    return error(errc::restart_required,
                 "interface, heartbeat port or addresses changed: restart heartbeatd to apply");
  // A standalone node that served nothing (a secondary waiting to be paired:
  // active alone with no VIP) and is now paired must not carry its lone role
  // into the pair: the same reload brings the primary's VIPs, which it would
  // add at once, unprobed, while the primary holds them. It starts over in
  // init like a booting node and hears the peer first. A standalone node that
  // holds VIPs (the primary, unpaired and paired again) keeps serving.
  const bool joins_empty_handed =
      standalone() && !in.keys.empty() && vips_->held() && vips_->vips().empty();
  if (auto r = apply_pairing(in); !r) return r.error();
  if (joins_empty_handed) {
    vips_->remove();  // holds nothing: only forgets the lone role's "held"
    logger()->info("paired while active alone with no VIP: starting over in init");
  }
  in_.cluster = in.cluster;
  in_.node = in.node;
  notifier_.set_hooks(hooks_of(in_.node));
  notifier_.set_alerts(alert_settings_of(in_.node));
  announcer_->set_settings(make_announce_settings());
  prober_->set_settings(make_probe_settings());
  vips_->set_vips(vips_of(in_.cluster));  // while held: removes the dropped, adds the new
  if (auto r = link_->set_vips(vips_->vips()); !r)
    logger()->error("{}: {}", in_.node.interface(), r.error().message());
  if (vips_->held()) announcer_->announce();
  run(sm_->reconfigure(make_settings()));
  if (joins_empty_handed) run(sm_->start());
  auto message = fmt::format("reloaded: generation {}, {} VIP(s)", in_.cluster.generation(),
                             vips_->vips().size());
  logger()->info("{}", message);
  return message;
}

}  // namespace lbha::heartbeat
