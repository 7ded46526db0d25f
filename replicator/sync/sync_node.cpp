#include "replicator/sync/sync_node.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <functional>

#include "common/logging.hpp"
#include "common/packed_batch.hpp"

namespace lbha::sync {
namespace {

std::uint32_t remaining_ms(clock::time_point expires, clock::time_point now) {
  if (expires <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(expires - now).count();
  return static_cast<std::uint32_t>(std::min<std::int64_t>(ms, UINT32_MAX));
}

std::string key_string(const bytes& key) { return std::string(key.begin(), key.end()); }

}  // namespace

sync_node::sync_node(node_settings settings, const clock& clock)
    : settings_(std::move(settings)),
      clock_(clock),
      // Two nodes that collide must not draw the same retry delays.
      random_(settings_.seed ^ static_cast<std::uint32_t>(std::hash<std::string>{}(settings_.local_name))) {
  set_tables();
  set_peers();
  next_purge_ = clock_.now() + settings_.purge_interval;
  resync_deadline_ = clock_.now() + settings_.resync_timeout;
}

// Builds the tables from settings_.tables, keeping what a table with the same
// name and key type held, and moves each peer's per-table progress along.
void sync_node::set_tables() {
  std::vector<sync_table> old = std::move(tables_);
  std::vector<table_definition> old_definitions = std::move(definitions_);
  std::unordered_map<std::string, std::size_t> old_index = std::move(table_index_);
  tables_.clear();
  table_index_.clear();
  definitions_.clear();
  std::vector<std::optional<std::size_t>> was;  // per new table, its old index
  for (const auto& config : settings_.tables) {
    table_index_.emplace(config.name, tables_.size());
    auto it = old_index.find(config.name);
    std::uint64_t id = 0;
    if (it != old_index.end() && old[it->second].config().key == config.key) {
      was.push_back(it->second);
      id = old_definitions[it->second].table_id;
      tables_.push_back(std::move(old[it->second]));
      tables_.back().reconfigure(config);
    } else {
      was.emplace_back();
      id = next_table_id_++;
      tables_.emplace_back(config, settings_.first_update_id);
    }
    definitions_.push_back(tables_.back().definition(id));
  }
  layout_remote_names();
  for (auto& p : peers_) {
    std::vector<std::uint64_t> acked(tables_.size(), 0), pushed(tables_.size(), 0);
    for (std::size_t t = 0; t < tables_.size(); ++t) {
      if (!was[t]) {
        acked[t] = pushed[t] = settings_.first_update_id;
        continue;
      }
      acked[t] = p.last_acked[*was[t]];
      pushed[t] = p.last_pushed[*was[t]];
    }
    p.last_acked = std::move(acked);
    p.last_pushed = std::move(pushed);
  }
}

void sync_node::set_peers() {
  peers_.clear();
  for (const auto& config : settings_.peers) {
    peer_state p;
    p.config = config;
    p.known_name = config.name;
    p.last_acked.assign(tables_.size(), settings_.first_update_id);
    p.last_pushed.assign(tables_.size(), settings_.first_update_id);
    p.resync_limit = rate_limiter(settings_.resync_interval);
    peers_.push_back(std::move(p));
  }
  const bool tls_peers = std::any_of(peers_.begin(), peers_.end(),
                                     [](const peer_state& p) { return !p.config.plain; });
  if (tls_peers && settings_.identity.empty()) {
    get_logger("syncd")->warn(
        "not paired (no pair.pem): the pair's TLS sessions are not started; they start on the "
        "reload that follows pairing");
  }
}

bool sync_node::peer_usable(const peer_state& p, bool tls) const {
  return tls ? !p.config.plain && !settings_.identity.empty() : p.config.plain;
}

bool sync_node::reconfigure(node_settings settings) {
  auto same_peer = [](const peer_config& a, const peer_config& b) {
    return a.name == b.name && a.addresses == b.addresses && a.port == b.port &&
           a.plain == b.plain;
  };
  auto same_table = [](const table_config& a, const table_config& b) {
    return a.name == b.name && a.key == b.key && a.expire_ms == b.expire_ms && a.servers == b.servers;
  };
  const bool same_peers =
      settings.local_name == settings_.local_name && settings.identity == settings_.identity &&
      std::equal(settings.peers.begin(), settings.peers.end(), settings_.peers.begin(),
                 settings_.peers.end(), same_peer);
  const bool same_tables = std::equal(settings.tables.begin(), settings.tables.end(),
                                      settings_.tables.begin(), settings_.tables.end(), same_table);
  if (same_peers && same_tables) return false;
  settings.pid = settings_.pid;
  settings.seed = settings_.seed;
  settings.max_entries = settings_.max_entries;  // like proxyd's table: fixed until a restart
  if (!same_peers) {
    std::vector<connection_id> ids;
    for (const auto& [id, c] : connections_) ids.push_back(id);
    for (auto id : ids) drop(id, "configuration reloaded");
    settings_ = std::move(settings);
    set_tables();
    set_peers();  // fresh peer states: dial at once, offer every entry again
    teacher_.reset();
    needs_resync_ = true;
    resync_deadline_ = clock_.now() + settings_.resync_timeout;
  } else {
    settings_ = std::move(settings);
    set_tables();
    for (auto& [id, c] : connections_) {
      // A lesson walks tables by index: start it again over the new set.
      if (c.teaching) c.teaching = lesson{};
      const bool missed = c.session.local_tables_changed();
      if (c.session.state() != session_state::established || !c.peer) continue;
      if (missed && !teacher_) {
        teacher_ = id;
        needs_resync_ = true;
        resync_deadline_ = clock_.now() + settings_.resync_timeout;
        c.session.send_control(control_type::resync_request);
      }
      push(c);
    }
  }
  get_logger("syncd")->info("configuration reloaded: {} tables, {} peers{}", tables_.size(),
                            peers_.size(), same_peers ? ", sessions kept" : "");
  return true;
}

void sync_node::tick() {
  const auto now = clock_.now();
  std::vector<std::pair<connection_id, const char*>> to_drop;
  for (auto& [id, c] : connections_) {
    const auto state = c.session.state();
    if (state != session_state::established) {
      if (now - c.opened >= settings_.handshake_timeout) {
        ++counters_.handshake_timeouts;
        to_drop.emplace_back(id, "handshake timeout");
      }
    } else if (now - c.last_rx >= settings_.peer_timeout) {
      to_drop.emplace_back(id, "peer silent");
    } else {
      if (c.resync_deferred && c.peer && peers_[*c.peer].resync_limit.allow(now)) {
        c.resync_deferred = false;
        teach(c);
      }
      if (c.teaching) continue_lesson(c);
      if (c.peer) push(c);
      if (now - c.last_tx >= settings_.heartbeat_interval && !c.session.has_output()) {
        c.session.send_control(control_type::heartbeat);
      }
    }
  }
  for (auto& [id, reason] : to_drop) drop(id, reason);
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const auto& p = peers_[i];
    if (!p.active && !p.dialing && now >= p.next_dial && peer_usable(p, !p.config.plain)) {
      start_dial(i, now);
    }
  }
  if (needs_resync_ && !teacher_ && now >= resync_deadline_) {
    needs_resync_ = false;
    get_logger("syncd")->info("no peer taught us within {} ms: starting on our own",
                              std::chrono::duration_cast<std::chrono::milliseconds>(
                                  settings_.resync_timeout).count());
  }
  // Expired entries go in small steps: every table is swept once per purge_interval.
  if (now >= next_purge_) {
    constexpr int steps = 64;
    for (auto& t : tables_) t.purge_step(now, t.size() / steps + 1024);
    next_purge_ = now + settings_.purge_interval / steps;
  }
}

void sync_node::start_dial(std::size_t peer, clock::time_point now) {
  auto& p = peers_[peer];
  if (p.config.addresses.empty()) return;
  const std::string& address = p.config.addresses[p.next_address % p.config.addresses.size()];
  const connection_id id = next_id_++;
  auto [it, ok] = connections_.try_emplace(id, session_role::outgoing, definitions_,
                                           settings_.max_payload, settings_.max_remote_tables,
                                           address, now);
  assert(ok);
  it->second.peer = peer;
  it->second.tls = !p.config.plain;
  p.dialing = id;
  dials_.push_back({id, address, p.config.port, !p.config.plain,
                    p.next_address % p.config.addresses.size()});
}

std::vector<dial_request> sync_node::take_dials() { return std::exchange(dials_, {}); }

void sync_node::connect_failed(connection_id id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  if (it->second.peer) ++peers_[*it->second.peer].next_address;
  drop(id, "connect failed");
}

void sync_node::tls_failed(connection_id id) {
  if (connections_.contains(id)) ++counters_.refused_unauthenticated;
  connect_failed(id);
}

void sync_node::connected(connection_id id) {
  auto it = connections_.find(id);
  if (it == connections_.end() || !it->second.peer) return;
  auto& c = it->second;
  c.secured = true;
  const auto& p = peers_[*c.peer];
  c.last_rx = clock_.now();
  c.session.send_hello({.called_name = p.known_name.empty() ? c.address : p.known_name,
                        .sender_name = settings_.local_name,
                        .pid = settings_.pid,
                        .relative_pid = "1"});
}

std::optional<connection_id> sync_node::accepted(const std::string& address) {
  const bool known = std::any_of(peers_.begin(), peers_.end(), [&](const peer_state& p) {
    return std::find(p.config.addresses.begin(), p.config.addresses.end(), address) !=
           p.config.addresses.end();
  });
  if (!known) {
    ++counters_.refused_connections;
    get_logger("syncd")->warn("refused a connection from {}: not a configured peer", address);
    return std::nullopt;
  }
  const connection_id id = next_id_++;
  connections_.try_emplace(id, session_role::incoming, definitions_, settings_.max_payload,
                           settings_.max_remote_tables, address, clock_.now());
  return id;
}

bool sync_node::secured(connection_id id, bool tls) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  auto& c = it->second;
  const bool allowed = std::any_of(peers_.begin(), peers_.end(), [&](const peer_state& p) {
    return peer_usable(p, tls) && std::find(p.config.addresses.begin(), p.config.addresses.end(),
                                            c.address) != p.config.addresses.end();
  });
  if (!allowed) {
    ++counters_.refused_unauthenticated;
    get_logger("syncd")->warn("refused a {} connection from {}: its peer must use {}",
                              tls ? "TLS" : "plaintext", c.address, tls ? "plain TCP" : "TLS");
    drop(id, tls ? "TLS from a plain peer's address" : "plaintext to a TLS peer's address");
    return false;
  }
  c.secured = true;
  c.tls = tls;
  return true;
}

void sync_node::received(connection_id id, byte_view data) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  it->second.last_rx = clock_.now();
  // A session that has just come up is not pushed to at once: the peer's
  // first message is likely a RESYNCREQ, and the lesson would send the same
  // entries again. tick() pushes the backlog if no request comes.
  const bool was_established = it->second.session.state() == session_state::established;
  // A read carries thousands of updates during a lesson: reuse the vector.
  std::vector<session_event> events = std::move(events_scratch_);
  events.clear();
  if (!it->second.secured) return;  // the daemon reads only secured connections
  const auto refused_before = it->second.session.refused_tables();
  it->second.session.receive(data, events);
  counters_.refused_tables += it->second.session.refused_tables() - refused_before;
  // Updates put a random key into a million-entry index: ask for its memory
  // a few updates ahead so the misses overlap.
  constexpr std::size_t ahead = 8;
  auto prefetch = [&](std::size_t i) {
    if (i >= events.size()) return;
    if (const auto* u = std::get_if<event_update>(&events[i]); u && u->table < tables_.size()) {
      const auto& key = u->update.key;
      tables_[u->table].prefetch({reinterpret_cast<const char*>(key.data()), key.size()});
    }
  };
  for (std::size_t i = 0; i < ahead; ++i) prefetch(i);
  for (std::size_t i = 0; i < events.size(); ++i) {
    prefetch(i + ahead);
    it = connections_.find(id);
    if (it == connections_.end()) break;
    handle(id, it->second, events[i]);
  }
  events_scratch_ = std::move(events);
  if (it == connections_.end()) return;
  it = connections_.find(id);
  if (was_established && it != connections_.end() &&
      it->second.session.state() == session_state::established) {
    push(it->second);
  }
}

void sync_node::handle(connection_id id, connection& c, session_event& e) {
  if (auto* h = std::get_if<event_hello>(&e)) return on_hello(id, c, h->h);
  if (auto* s = std::get_if<event_status>(&e)) {
    if (s->code != 200) return drop(id, "peer answered status " + std::to_string(s->code));
    auto& p = peers_[*c.peer];
    p.dialing.reset();
    if (p.active) drop(*p.active, "replaced by a newer session", redial::collision);
    p.active = id;
    return on_established(id, c);
  }
  if (auto* ctl = std::get_if<event_control>(&e)) {
    switch (ctl->type) {
      case control_type::resync_request:
        return request_lesson(c);
      case control_type::resync_finished:
      case control_type::resync_partial:
        if (teacher_ == id) {
          teacher_.reset();
          needs_resync_ = false;
          get_logger("syncd")->info("resync from {} {}", c.address,
                                    ctl->type == control_type::resync_finished ? "finished"
                                                                               : "partial");
        }
        c.session.send_control(control_type::resync_confirm);
        return;
      default:
        return;  // heartbeat, resync confirm: liveness only (last_rx already moved)
    }
  }
  if (auto* u = std::get_if<event_update>(&e)) return on_update(c, u->table, u->update);
  if (auto* a = std::get_if<event_ack>(&e)) {
    if (!c.peer) return;
    for (std::size_t t = 0; t < definitions_.size(); ++t) {
      if (definitions_[t].table_id != a->table_id) continue;
      // A wire id is the low 32 bits of our sequence: widen it back (wrap-around).
      if (const auto acked = widen_id(a->update_id, tables_[t].last_update_id())) {
        peers_[*c.peer].last_acked[t] = *acked;
      }
    }
    return;
  }
  if (auto* err = std::get_if<event_error>(&e)) {
    ++counters_.session_errors;
    return drop(id, err->reason);
  }
}

void sync_node::on_hello(connection_id id, connection& c, const hello& h) {
  std::optional<std::size_t> named, unnamed;
  for (std::size_t i = 0; i < peers_.size(); ++i) {
    const auto& cfg = peers_[i].config;
    if (std::find(cfg.addresses.begin(), cfg.addresses.end(), c.address) == cfg.addresses.end() ||
        !peer_usable(peers_[i], c.tls)) {
      continue;
    }
    if (!cfg.name.empty() && cfg.name == h.sender_name) named = i;
    if (cfg.name.empty()) unnamed = i;
  }
  status_code status = status_code::ok;
  std::optional<std::size_t> peer = named ? named : unnamed;
  if (!peer) {
    status = status_code::unknown_peer;
  } else if (named && h.called_name != settings_.local_name) {
    status = status_code::bad_local_name;
  }
  if (status != status_code::ok) {
    ++counters_.refused_hellos;
    c.session.send_status(status);
    return drop(id, "refused hello from " + h.sender_name + " calling " + h.called_name);
  }
  auto& p = peers_[*peer];
  if (p.config.name.empty()) p.known_name = h.sender_name;
  if (p.active) drop(*p.active, "replaced by a newer session", redial::collision);
  if (p.dialing) drop(*p.dialing, "lost a dial collision", redial::collision);
  c.peer = *peer;
  p.active = id;
  c.session.send_status(status_code::ok);
  on_established(id, c);
}

void sync_node::on_established(connection_id id, connection& c) {
  auto& p = peers_[*c.peer];
  p.failures = 0;
  p.address = c.address;
  p.last_pushed = p.last_acked;  // resume after what the peer acknowledged
  get_logger("syncd")->info("session with {} at {} established",
                            p.known_name.empty() ? "the pair partner" : p.known_name, c.address);
  if (needs_resync_ && !teacher_) {
    teacher_ = id;
    c.session.send_control(control_type::resync_request);
  }
}

void sync_node::on_update(connection& c, std::size_t t, update_message& u) {
  auto& table = tables_[t];
  const auto& servers = table.config().servers;
  std::size_t server = servers.size();
  if (u.server_key) {
    server = static_cast<std::size_t>(
        std::find(servers.begin(), servers.end(), *u.server_key) - servers.begin());
  }
  if (server == servers.size() && u.server_id && *u.server_id >= 1 &&
      *u.server_id <= servers.size()) {
    server = static_cast<std::size_t>(*u.server_id - 1);
  }
  if (server == servers.size()) {
    ++counters_.unknown_servers;
    return;
  }
  std::uint32_t expire = u.expire_ms.value_or(table.config().expire_ms);
  if (expire == 0) return;
  // A peer cannot keep a client stuck longer than the service's own timeout.
  if (expire > table.config().expire_ms) {
    expire = table.config().expire_ms;
    ++counters_.capped_expiries;
  }
  const auto now = clock_.now();
  const std::string_view key(reinterpret_cast<const char*>(u.key.data()), u.key.size());
  make_room(t, key);
  if (table.put_configured(key, server, now + std::chrono::milliseconds(expire), true) == 0) {
    return;
  }
  ++peers_[*c.peer].updates_received;
  const std::size_t name = remote_base_[t];
  const std::size_t server_name = name + 1 + server;
  // The packed form carries keys of 4 or 16 bytes and 16-bit name indices:
  // anything else (no such table or name table exists) is not handed on.
  if ((key.size() != 4 && key.size() != 16) || server_name >= packed::max_names) return;
  const std::size_t at = remote_records_.size();
  remote_records_.resize(at + packed::header_size + key.size());
  char* p = remote_records_.data() + at;
  p[0] = static_cast<char>(key.size());
  p[1] = static_cast<char>(name & 0xff);
  p[2] = static_cast<char>(name >> 8);
  p[3] = static_cast<char>(server_name & 0xff);
  p[4] = static_cast<char>(server_name >> 8);
  for (int i = 0; i < 4; ++i) p[5 + i] = static_cast<char>((expire >> (8 * i)) & 0xff);
  std::memcpy(p + packed::header_size, key.data(), key.size());
  ++remote_count_;
}

// Names for the packed records: each table's name followed by its servers.
// While records are pending (a reconfiguration between two takes) the new
// layout is appended, so the pending records keep their meaning.
void sync_node::layout_remote_names() {
  if (remote_count_ == 0) {
    remote_records_.clear();
    remote_names_.clear();
  }
  remote_base_.clear();
  for (const auto& table : tables_) {
    remote_base_.push_back(remote_names_.size());
    remote_names_.push_back(table.config().name);
    for (const auto& s : table.config().servers) remote_names_.push_back(s);
  }
}

update_message sync_node::to_update(std::size_t t, std::string_view key, const stored_entry& e,
                                    clock::time_point now, bool timed) const {
  update_message u;
  u.update_id = wire_id(e.update_id);
  if (timed) u.expire_ms = remaining_ms(e.expires, now);
  u.key.assign(key.begin(), key.end());
  u.server_id = tables_[t].server_id(e);
  u.server_key = tables_[t].server_name(e);
  return u;
}

void sync_node::make_room(std::size_t t, std::string_view key) {
  std::size_t total = 0;
  for (const auto& table : tables_) total += table.size();
  if (total < settings_.max_entries || tables_[t].find(key) != nullptr) return;
  // The growing table gives way first; a full node with an empty table takes from the largest.
  std::size_t from = t;
  if (tables_[t].size() == 0) {
    from = static_cast<std::size_t>(
        std::max_element(tables_.begin(), tables_.end(),
                         [](const auto& a, const auto& b) { return a.size() < b.size(); }) -
        tables_.begin());
  }
  while (total >= settings_.max_entries && tables_[from].evict_one()) {
    --total;
    ++counters_.evicted_entries;
  }
}

// A peer's RESYNCREQ: taught now, or at the end of its resync_interval (a
// peer restarting in a loop must not have us teach every entry in a loop).
void sync_node::request_lesson(connection& c) {
  if (!c.peer) return;
  if (peers_[*c.peer].resync_limit.allow(clock_.now())) {
    c.resync_deferred = false;
    return teach(c);
  }
  if (!c.resync_deferred) ++counters_.resync_requests_deferred;
  c.resync_deferred = true;
}

void sync_node::teach(connection& c) {
  c.teaching = lesson{};  // (a new request restarts a lesson in progress)
  continue_lesson(c);
}

void sync_node::continue_lesson(connection& c) {
  auto& p = peers_[*c.peer];
  auto& l = *c.teaching;
  const auto now = clock_.now();
  std::size_t budget = lesson_chunk;
  while (l.table < tables_.size() && budget > 0) {
    auto& table = tables_[l.table];
    l.after = table.for_each_after(l.after, budget, [&](std::string_view key, const stored_entry& e) {
      --budget;
      if (e.expires <= now) return;
      c.session.send_update(l.table, to_update(l.table, key, e, now, true));
      ++p.updates_sent;
    });
    // Entries that arrive during the lesson are in it: it ends when caught up.
    if (l.after == table.last_update_id()) {
      ++l.table;
      l.after = 0;
    }
  }
  if (l.table < tables_.size()) return;
  for (std::size_t t = 0; t < tables_.size(); ++t) p.last_pushed[t] = tables_[t].last_update_id();
  c.teaching.reset();
  // A node still learning itself can only give a partial lesson.
  c.session.send_control(teacher_ ? control_type::resync_partial : control_type::resync_finished);
}

bool sync_node::teaching() const {
  return std::any_of(connections_.begin(), connections_.end(),
                     [](const auto& kv) { return kv.second.teaching.has_value(); });
}

void sync_node::continue_lessons() {
  for (auto& [id, c] : connections_) {
    if (c.teaching && c.session.state() == session_state::established) continue_lesson(c);
  }
}

void sync_node::push(connection& c) {
  if (c.teaching) return;  // the lesson runs to the end of the log
  auto& p = peers_[*c.peer];
  const auto now = clock_.now();
  for (std::size_t t = 0; t < tables_.size(); ++t) {
    if (p.last_pushed[t] == tables_[t].last_update_id()) continue;
    tables_[t].for_each_after(p.last_pushed[t], [&](std::string_view key, const stored_entry& e) {
      if (e.remote || e.expires <= now) return;
      // Always with the remaining expiry: an entry from proxyd's snapshot or
      // a resumed session may be old, and the peer must not extend it.
      c.session.send_update(t, to_update(t, key, e, now, true));
      ++p.updates_sent;
    });
    p.last_pushed[t] = tables_[t].last_update_id();
  }
}

void sync_node::drop(connection_id id, std::string_view reason, redial how) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return;
  auto& c = it->second;
  const auto now = clock_.now();
  if (c.peer) {
    auto& p = peers_[*c.peer];
    const bool was_active = p.active == id;
    if (was_active) p.active.reset();
    if (p.dialing == id) p.dialing.reset();
    if (how == redial::collision || was_active) {
      p.next_dial = now + collision_delay();
    } else {
      ++p.failures;
      const auto delay = std::min(settings_.reconnect_max,
                                  settings_.reconnect_min * (1 << std::min(p.failures - 1, 10u)));
      p.next_dial = now + delay;
    }
    const std::string& name = p.known_name.empty() ? c.address : p.known_name;
    get_logger("syncd")->info("session with {} at {} closed: {}", name, c.address, reason);
    // A session replaced by a newer one of the same peer is no disconnect.
    if (was_active && how != redial::collision) {
      session_ends_.push_back({name, c.address, std::string(reason)});
    }
  } else {
    get_logger("syncd")->info("connection from {} closed: {}", c.address, reason);
  }
  if (teacher_ == id) teacher_.reset();
  c.session.close();
  closing_.emplace_back(id, c.session.take_output());
  connections_.erase(it);
}

clock::duration sync_node::collision_delay() {
  std::uniform_int_distribution<int> ms(50, 2050);
  return std::chrono::milliseconds(ms(random_));
}

void sync_node::closed(connection_id id) { drop(id, "connection closed"); }

std::vector<std::pair<connection_id, bytes>> sync_node::take_outputs() {
  std::vector<std::pair<connection_id, bytes>> out;
  const auto now = clock_.now();
  for (auto& [id, c] : connections_) {
    if (!c.session.has_output()) continue;
    out.emplace_back(id, c.session.take_output());
    c.last_tx = now;
  }
  return out;
}

std::vector<std::pair<connection_id, bytes>> sync_node::take_closing() {
  return std::exchange(closing_, {});
}

void sync_node::local_changes(const std::vector<table_change>& changes) {
  const auto now = clock_.now();
  for (const auto& change : changes) {
    auto it = table_index_.find(change.table);
    if (it == table_index_.end() || change.expires_in_ms == 0) {
      ++counters_.ignored_local_changes;
      continue;
    }
    auto& table = tables_[it->second];
    if (change.key.size() != table.config().key_length()) {
      ++counters_.ignored_local_changes;
      continue;
    }
    const std::string key = key_string(change.key);
    const auto expires = now + std::chrono::milliseconds(change.expires_in_ms);
    make_room(it->second, key);
    // proxyd reports what syncd applied too: the same server with (about) the
    // same expiry is that echo, or a refresh too small to be worth a message.
    if (const auto* e = table.find(key);
        e != nullptr && table.server_name(*e) == change.server && expires <= e->expires + 1s) {
      continue;
    }
    table.put(key, change.server, expires, false);
  }
  for (auto& [id, c] : connections_) {
    if (c.session.state() == session_state::established && c.peer) push(c);
  }
}

packed_changes sync_node::take_remote_packed() {
  packed_changes out;
  if (remote_count_ == 0) return out;
  out.count = remote_count_;
  out.names = remote_names_;
  out.records = std::move(remote_records_);
  remote_records_ = std::string();
  remote_records_.reserve(out.records.size());  // the next read likely brings as many
  remote_count_ = 0;
  layout_remote_names();
  return out;
}

std::vector<table_change> sync_node::take_remote_changes() {
  const auto batch = take_remote_packed();
  std::vector<table_change> out;
  std::vector<packed::record> records;
  packed::decode(batch.records, batch.names.size(), records);
  out.reserve(records.size());
  for (const auto& r : records) {
    out.push_back({batch.names[r.table], bytes(r.key.begin(), r.key.begin() + r.key_size),
                   batch.names[r.server], r.expires_in_ms});
  }
  return out;
}

std::vector<table_change> sync_node::snapshot() const {
  std::vector<table_change> out;
  const auto now = clock_.now();
  for (const auto& table : tables_) {
    table.for_each_after(0, [&](std::string_view key, const stored_entry& e) {
      if (e.expires <= now) return;
      out.push_back({table.config().name, bytes(key.begin(), key.end()), table.server_name(e),
                     remaining_ms(e.expires, now)});
    });
  }
  return out;
}

const sync_table* sync_node::table(const std::string& name) const {
  auto it = table_index_.find(name);
  return it == table_index_.end() ? nullptr : &tables_[it->second];
}

std::vector<peer_status> sync_node::status() const {
  std::vector<peer_status> out;
  for (const auto& p : peers_) {
    out.push_back({.name = p.known_name,
                   .address = p.active ? p.address
                                       : (p.config.addresses.empty() ? "" : p.config.addresses[0]),
                   .connected = p.active.has_value(),
                   .updates_sent = p.updates_sent,
                   .updates_received = p.updates_received});
  }
  return out;
}

}  // namespace lbha::sync
