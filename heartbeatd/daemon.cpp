#include "heartbeatd/daemon.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <random>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

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

std::vector<ip_address> vips_of(const v1::ClusterConfig& cluster) {
  std::vector<ip_address> out;
  for (const auto& vs : cluster.virtual_services()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(vs.ip(), ec);
    if (!ec && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
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
    : io_(io),
      clock_(clock),
      in_(std::move(in)),
      keys_(in_.keys),
      id_(identity_of(in_)),
      vips_(vips_of(in_.cluster)),
      sequence_(initial_sequence(
          static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()))),
      tick_timer_(io),
      dead_timer_(io),
      probe_timer_(io),
      notifier_(hooks{in_.node.notify().on_active(), in_.node.notify().on_passive(),
                      in_.node.notify().on_fault()}) {
  for (const auto& p : in_.node.peer_addresses()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(p, ec);
    if (!ec) peers_.emplace_back(a, static_cast<unsigned short>(in_.node.ports().heartbeat()));
  }
}

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
  s.path_count = std::max<std::size_t>(peers_.size(), 1);
  return s;
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

bool heartbeat_daemon::start(std::string& error) {
  auto term = state::read_term(state::state_files(in_.state_dir).term());
  if (!term) {
    error = term.error().message();
    return false;
  }
  auto addresses = vip_addresses::open(in_.node.interface());
  if (!addresses) {
    error = "interface " + in_.node.interface() + ": " + addresses.error().message();
    return false;
  }
  addresses_ = std::move(addresses.value());
  auto arp =
      arp_socket::open(io_, addresses_->ifindex(), [this](const arp_packet& p) { on_arp(p); });
  if (!arp) {
    error = "ARP socket on " + in_.node.interface() + ": " + arp.error().message();
    return false;
  }
  arp_ = std::move(arp.value());
  if (!open_nd(error)) return false;
  if (!standalone() && !open_heartbeat_sockets(error)) return false;

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
    if (auto r = pinger_->start(); !r) {
      error = "ping socket: " + r.error().message();
      return false;
    }
  }
  logger()->info("node {} (id {}) on {}: {} VIP(s), {} peer path(s), term {}{}",
                 in_.node.node_name(), id_.node_id, in_.node.interface(), vips_.size(),
                 peers_.size(), term.value(), standalone() ? ", standalone (no pairing)" : "");
  run(sm_->start());
  start_proxy_poller();
  next_tick_ = clock_.now();
  do_tick();
  return true;
}

void heartbeat_daemon::stop() {
  if (stopped_ || !sm_) return;
  stopped_ = true;
  stopping_ = true;
  poller_cv_.notify_all();
  if (proxy_poller_.joinable()) proxy_poller_.join();
  if (vips_held_) remove_vips();  // a clean stop hands the VIPs over; the peer sees us gone
  ++burst_generation_;
  tick_timer_.cancel();
  dead_timer_.cancel();
  probe_timer_.cancel();
  if (pinger_) pinger_->stop();
  if (arp_) arp_->close();
  if (nd_) nd_->close();
  boost::system::error_code ignored;
  for (auto& s : sockets_) s->close(ignored);
  notifier_.reap();
  board_.close();
}

bool heartbeat_daemon::open_heartbeat_sockets(std::string& error) {
  const auto port = static_cast<unsigned short>(in_.node.ports().heartbeat());
  std::vector<asio::ip::udp::endpoint> binds;
  for (const auto& l : in_.node.local_addresses()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(l, ec);
    if (!ec) binds.emplace_back(a, port);
  }
  if (binds.empty()) {
    bool v4 = false, v6 = false;
    for (auto& p : peers_) (p.address().is_v4() ? v4 : v6) = true;
    if (v4) binds.emplace_back(asio::ip::address_v4::any(), port);
    if (v6) binds.emplace_back(asio::ip::address_v6::any(), port);
  }
  for (const auto& ep : binds) {
    auto s = std::make_unique<asio::ip::udp::socket>(io_);
    boost::system::error_code ec;
    s->open(ep.protocol(), ec);
    if (!ec && ep.address().is_v6()) s->set_option(asio::ip::v6_only(true), ec);
    if (!ec) s->set_option(asio::socket_base::reuse_address(true), ec);
    // Heartbeats must leave even when the routing table is in flux during a takeover.
    if (!ec) s->bind(ep, ec);
    if (ec) {
      error = fmt::format("heartbeat socket {}:{}: {}", ep.address().to_string(), ep.port(),
                          ec.message());
      return false;
    }
    sockets_.push_back(std::move(s));
  }
  buffers_.resize(sockets_.size());
  senders_.resize(sockets_.size());
  for (std::size_t i = 0; i < sockets_.size(); ++i) do_receive(i);
  return true;
}

void heartbeat_daemon::do_receive(std::size_t i) {
  sockets_[i]->async_receive_from(asio::buffer(buffers_[i]), senders_[i],
                                  [this, i](boost::system::error_code ec, std::size_t n) {
                                    if (ec == asio::error::operation_aborted || stopped_) return;
                                    if (!ec) handle_datagram(buffers_[i].data(), n, senders_[i]);
                                    do_receive(i);
                                  });
}

void heartbeat_daemon::handle_datagram(const std::uint8_t* data, std::size_t size,
                                       const asio::ip::udp::endpoint& from) {
  // A datagram filling the whole buffer may have been cut: it is oversized either way.
  auto m = decode({data, size}, id_.cluster, keys_);
  auto drop = [&](errc reason) {
    ++dropped_[index_of(reason)];
    logger()->debug("dropped heartbeat from {}: {}", from.address().to_string(), to_string(reason));
  };
  if (!m) {
    drop(static_cast<errc>(m.error().code().value()));
    return;
  }
  if (m.value().node_id == id_.node_id) return drop(errc::own_node);
  if (auto r = replay_.check(m.value(), wall_ms()); !r)
    return drop(static_cast<errc>(r.error().code().value()));
  std::size_t path = peers_.size();
  for (std::size_t p = 0; p < peers_.size(); ++p)
    if (peers_[p].address() == from.address()) path = p;
  if (path == peers_.size()) {
    ++unknown_source_;  // authentic, but from an address that is not a configured path
    return;
  }
  ++received_;
  run(sm_->on_heartbeat(path, m.value()));
  // Notice the peer's death the moment deadtime expires, not at the next tick: up to one
  // interval sooner.
  dead_timer_.expires_after(sm_->config().deadtime + std::chrono::milliseconds(1));
  dead_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopped_) run(sm_->tick());
  });
  const auto& cfg = sm_->config();
  if (cfg.arp_probe && cfg.probe_lead > milliseconds(0) && cfg.probe_lead < cfg.deadtime) {
    probe_timer_.expires_after(cfg.deadtime - cfg.probe_lead);
    probe_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !stopped_) run(sm_->tick());
    });
  }
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
  m.sequence = sequence_++;
  m.generation = in_.cluster.generation();
  m.timestamp_ms = wall_ms();
  const packet p = encode(m, keys_.signing_key());
  for (const auto& peer : peers_) {
    for (auto& s : sockets_) {
      if ((s->local_endpoint().address().is_v4()) != peer.address().is_v4()) continue;
      boost::system::error_code ec;
      s->send_to(asio::buffer(p), peer, 0, ec);  // UDP: never blocks for long
      if (!ec) ++sent_;
      break;
    }
  }
}

void heartbeat_daemon::do_tick() {
  if (stopped_) return;
  send_heartbeat();
  run(sm_->tick());
  notifier_.reap();
  const auto& garp = in_.cluster.ha().garp();
  if (vips_held_ && garp.refresh_interval_ms() > 0 && clock_.now() >= next_refresh_) {
    next_refresh_ = clock_.now() + milliseconds(garp.refresh_interval_ms());
    announce_round();
  }
  publish();
  next_tick_ += sm_->config().interval;
  if (next_tick_ < clock_.now()) next_tick_ = clock_.now();  // we were late: do not burst
  tick_timer_.expires_after(next_tick_ - clock_.now());
  tick_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) do_tick();
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
        asio::post(io_, [this, term = a.term] {
          if (auto r = state::write_term(state::state_files(in_.state_dir).term(), term); !r)
            logger()->error("cannot persist term {}: {}", term, r.error().message());
        });
        break;
      case action_kind::add_vips:
        add_vips();
        break;
      case action_kind::remove_vips:
        remove_vips();
        break;
      case action_kind::announce:
        announce();
        break;
      case action_kind::probe_vips:
        start_probe();
        break;
      case action_kind::notify: {
        logger()->info("role {} (term {})", to_string(a.new_role), a.term);
        std::vector<std::string> vips;
        for (auto& v : vips_) vips.push_back(v.to_string());
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
  if (!acts.empty()) publish();
}

void heartbeat_daemon::add_vips() {
  for (const auto& v : vips_) {
    if (auto r = addresses_->add(v); !r)
      logger()->error("cannot add VIP {}: {}", v.to_string(), r.error().message());
  }
  vips_held_ = true;
}

void heartbeat_daemon::remove_vips() {
  ++burst_generation_;  // no more announcements for addresses we no longer hold
  for (const auto& v : vips_) {
    if (auto r = addresses_->remove(v); !r)
      logger()->error("cannot remove VIP {}: {}", v.to_string(), r.error().message());
  }
  vips_held_ = false;
}

void heartbeat_daemon::announce_round() {
  const bool reply = in_.cluster.ha().garp().mode() == v1::GarpPolicy::MODE_REPLY;
  for (const auto& v : vips_) {
    if (v.is_v4()) {
      if (auto r = arp_->send(gratuitous(v.to_v4(), arp_->mac(), reply)); !r)
        logger()->warn("gratuitous ARP for {}: {}", v.to_string(), r.error().message());
    } else if (nd_) {
      if (auto r = nd_->advertise(v.to_v6()); !r)
        logger()->warn("neighbour advertisement for {}: {}", v.to_string(), r.error().message());
    }
  }
}

void heartbeat_daemon::start_burst(std::uint64_t generation, std::uint32_t remaining) {
  if (generation != burst_generation_ || remaining == 0 || stopped_) return;
  announce_round();
  if (remaining == 1) return;
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(milliseconds(in_.cluster.ha().garp().interval_ms()));
  timer->async_wait([this, timer, generation, remaining](boost::system::error_code ec) {
    if (!ec) start_burst(generation, remaining - 1);
  });
}

void heartbeat_daemon::announce() {
  if (!vips_held_) return;
  const auto& garp = in_.cluster.ha().garp();
  const auto generation = ++burst_generation_;
  start_burst(generation, std::max<std::uint32_t>(garp.count(), 1));
  next_refresh_ = clock_.now() + milliseconds(garp.refresh_interval_ms());
  if (garp.second_burst_delay_ms() > 0) {
    // Switches that were still learning, or hosts that missed the first burst.
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(milliseconds(garp.second_burst_delay_ms()));
    timer->async_wait([this, timer, generation](boost::system::error_code ec) {
      if (ec || generation != burst_generation_) return;
      start_burst(generation, std::max<std::uint32_t>(in_.cluster.ha().garp().count(), 1));
    });
  }
}

bool heartbeat_daemon::is_vip(const asio::ip::address_v4& a) const {
  return std::any_of(vips_.begin(), vips_.end(),
                     [&](const ip_address& v) { return v.is_v4() && v.to_v4() == a; });
}

bool heartbeat_daemon::is_vip(const asio::ip::address_v6& a) const {
  return std::any_of(vips_.begin(), vips_.end(),
                     [&](const ip_address& v) { return v.is_v6() && v.to_v6() == a; });
}

bool heartbeat_daemon::open_nd(std::string& error) {
  // Needed only with IPv6 VIPs, but opened whenever it can be, so a reload that
  // adds the first IPv6 VIP can announce and probe it.
  auto nd = nd_socket::open(io_, addresses_->ifindex(), arp_->mac(),
                            [this](const nd_message& m) { on_nd(m); });
  if (nd) {
    nd_ = std::move(nd.value());
    return true;
  }
  if (std::any_of(vips_.begin(), vips_.end(), [](auto& a) { return a.is_v6(); })) {
    error = "ICMPv6 socket on " + in_.node.interface() + ": " + nd.error().message();
    return false;
  }
  logger()->info("no ICMPv6 socket ({}): IPv6 VIPs cannot be used", nd.error().message());
  return true;
}

void heartbeat_daemon::start_probe() {
  const auto id = ++probe_id_;
  std::vector<asio::ip::address_v4> v4;
  std::vector<asio::ip::address_v6> v6;
  for (auto& v : vips_) {
    if (v.is_v4()) v4.push_back(v.to_v4());
    else if (nd_) v6.push_back(v.to_v6());
  }
  probing_ = true;
  probe_defended_ = false;
  if (v4.empty() && v6.empty()) {  // nothing to probe
    asio::post(io_, [this, id] { finish_probe(id); });
    return;
  }
  std::random_device random;
  for (auto& b : probe_nonce_) b = static_cast<std::uint8_t>(random());
  const auto& cfg = in_.cluster.ha().arp_probe();
  const auto count = std::max<std::uint32_t>(cfg.count(), 1);
  const auto spacing = milliseconds(cfg.timeout_ms() / count);
  for (std::uint32_t i = 0; i < count; ++i) {
    auto send = [this, v4, v6, id] {
      if (!probing_ || id != probe_id_) return;
      for (auto& a : v4) (void)arp_->send(probe(a, arp_->mac()));
      for (auto& a : v6) (void)nd_->probe(a, probe_nonce_);
    };
    if (i == 0) {
      send();
      continue;
    }
    auto timer = std::make_shared<asio::steady_timer>(io_);
    timer->expires_after(spacing * i);
    timer->async_wait([timer, send](boost::system::error_code ec) {
      if (!ec) send();
    });
  }
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(milliseconds(cfg.timeout_ms()));
  timer->async_wait([this, timer, id](boost::system::error_code ec) {
    if (!ec) finish_probe(id);
  });
}

void heartbeat_daemon::finish_probe(std::uint64_t id) {
  if (!probing_ || id != probe_id_ || stopped_) return;
  probing_ = false;
  if (probe_defended_)
    logger()->warn(
        "peer silent on every heartbeat path but its heartbeatd defends the VIPs: "
        "heartbeat path broken, staying passive");
  run(sm_->on_probe_result(probe_defended_));
}

void heartbeat_daemon::on_arp(const arp_packet& p) {
  if (stopped_ || !sm_) return;
  if (probing_ && p.is_announcement() && is_vip(p.sender_ip)) {
    probe_defended_ = true;
    finish_probe(probe_id_);  // no need to wait out the timeout
    return;
  }
  if (!vips_held_) return;
  if (p.is_probe() && is_vip(p.target_ip)) {
    // Defend: tell the prober (and everyone) a live heartbeatd holds this VIP.
    (void)arp_->send(gratuitous(p.target_ip, arp_->mac(), false));
    return;
  }
  if (p.is_announcement() && is_vip(p.sender_ip)) {
    logger()->warn("ARP conflict: {} claims VIP {}", to_string(p.sender_mac),
                   p.sender_ip.to_string());
    run(sm_->on_conflict());
  }
}

void heartbeat_daemon::on_nd(const nd_message& m) {
  if (stopped_ || !sm_ || !is_vip(m.target)) return;
  const bool advertisement = m.type == nd_message::kind::advertisement;
  if (probing_ && advertisement && m.nonce == probe_nonce_) {
    probe_defended_ = true;  // a live heartbeatd answered our probe, not just a kernel
    finish_probe(probe_id_);
    return;
  }
  if (!vips_held_) return;
  if (m.is_dad_probe()) {
    // Defend, echoing the nonce so the prober knows a heartbeatd (not a kernel) answered.
    (void)nd_->advertise(m.target, m.nonce);
    return;
  }
  if (advertisement && !m.solicited && m.link_layer) {
    logger()->warn("neighbour advertisement conflict: {} claims VIP {}", to_string(*m.link_layer),
                   m.target.to_string());
    run(sm_->on_conflict());
  }
}

void heartbeat_daemon::start_proxy_poller() {
  const auto socket = socket_path(in_.run_dir, "proxyd");
  proxy_poller_ = std::thread([this, socket] {
    auto channel = unix_channel(socket);
    auto stub = v1::Proxy::NewStub(channel);
    std::optional<bool> last;
    while (!stopping_) {
      bool ready = false;
      std::error_code ec;
      if (std::filesystem::exists(socket, ec)) {
        auto ctx = context_with_deadline(300ms);
        v1::ReadyReply reply;
        ready = stub->Ready(ctx.get(), v1::ReadyRequest{}, &reply).ok() && reply.ready();
      }
      if (ready != last) {
        last = ready;
        asio::post(io_, [this, ready] {
          if (!stopped_) run(sm_->on_proxy_ready(ready));
        });
      }
      std::unique_lock lock(poller_mutex_);
      poller_cv_.wait_for(lock, 500ms, [this] { return stopping_.load(); });
    }
  });
}

void heartbeat_daemon::publish() {
  const auto peer = sm_->peer();
  const std::string summary = fmt::format(
      "{}/{}/{}/{}/{}/{}/{}/{}/{}", static_cast<int>(sm_->current_role()), sm_->term(), peer.alive,
      static_cast<int>(peer.last.sender_role), sm_->ping_ok(), sm_->proxy_ready(),
      sm_->peer_holds_vips_on_lan(), vips_held_, sm_->want_active());
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
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    auto* p = s.add_paths();
    p->set_address(peers_[i].address().to_string());
    const auto& age = i < peer.path_age.size() ? peer.path_age[i] : std::nullopt;
    const std::int64_t ms =
        age ? std::chrono::duration_cast<std::chrono::milliseconds>(*age).count() : -1;
    p->set_last_heard_ms(ms);
    p->set_alive(age && *age < sm_->config().deadtime);
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
  for (const auto& v : vips_) s.add_vips(v.to_string());
  s.set_vips_held(vips_held_);
  s.set_peer_holds_vips_on_lan(sm_->peer_holds_vips_on_lan());
  s.set_takeovers(sm_->takeovers());
  s.set_conflicts(sm_->conflicts());
  s.set_standalone(standalone());
  s.set_want_active(sm_->want_active());
  s.set_config_generation(in_.cluster.generation());
  s.set_interface(in_.node.interface());
  return s;
}

void heartbeat_daemon::make_active(bool force) {
  logger()->info("make-active requested{}", force ? " (force)" : "");
  run(sm_->make_active(force));
}

bool heartbeat_daemon::make_passive(std::string& message) {
  actions acts;
  if (!sm_->make_passive(acts)) {
    message = "the peer is not alive and ready to take over: refusing to leave the VIPs unowned";
    return false;
  }
  logger()->info("make-passive: handing over to the peer");
  run(acts);
  return true;
}

bool heartbeat_daemon::apply_pairing(const daemon_inputs& in, std::string& message) {
  // `lbctl pair` and `unpair` reach a running daemon as a reload: a keyring where
  // there was none starts heartbeating, none where there was one stops it, and a
  // new key or identity (re-pairing, key rotation) applies from the next packet.
  const identity next = identity_of(in);
  const bool was_standalone = standalone();
  const bool now_standalone = in.keys.empty();
  if (was_standalone && !now_standalone) {
    // peers_ came from node.yaml at start; reload refuses to change them.
    if (!open_heartbeat_sockets(message)) {
      close_heartbeat_sockets();
      return false;  // still standalone, nothing else changed
    }
    logger()->info("paired: heartbeating {} peer address(es) as node {}", peers_.size(),
                   next.node_id);
  } else if (!was_standalone && now_standalone) {
    close_heartbeat_sockets();
    logger()->info("unpaired: standalone");
  }
  if (next.cluster != id_.cluster || next.node_id != id_.node_id) replay_ = anti_replay{};
  id_ = next;
  keys_ = in.keys;
  return true;
}

void heartbeat_daemon::close_heartbeat_sockets() {
  boost::system::error_code ignored;
  for (auto& s : sockets_) s->close(ignored);  // pending receives end with operation_aborted
  sockets_.clear();
}

bool heartbeat_daemon::reload(daemon_inputs in, std::string& message) {
  if (in.node.interface() != in_.node.interface() ||
      in.node.ports().heartbeat() != in_.node.ports().heartbeat() ||
      in.node.peer_addresses().size() != in_.node.peer_addresses().size() ||
      !std::equal(in.node.peer_addresses().begin(), in.node.peer_addresses().end(),
                  in_.node.peer_addresses().begin()) ||
      in.node.local_addresses().size() != in_.node.local_addresses().size()) {
    message = "interface, heartbeat port or addresses changed: restart heartbeatd to apply";
    return false;
  }
  if (!apply_pairing(in, message)) return false;
  const auto new_vips = vips_of(in.cluster);
  if (vips_held_) {
    for (const auto& v : vips_)
      if (std::find(new_vips.begin(), new_vips.end(), v) == new_vips.end())
        (void)addresses_->remove(v);
  }
  in_.cluster = in.cluster;
  in_.node = in.node;
  vips_ = new_vips;
  notifier_.set_hooks(hooks{in_.node.notify().on_active(), in_.node.notify().on_passive(),
                            in_.node.notify().on_fault()});
  if (vips_held_) {
    add_vips();
    announce();
  }
  run(sm_->reconfigure(make_settings()));
  message =
      fmt::format("reloaded: generation {}, {} VIP(s)", in_.cluster.generation(), vips_.size());
  logger()->info("{}", message);
  return true;
}

}  // namespace lbha::heartbeat
