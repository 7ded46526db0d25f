#include "proxy/engine.hpp"

#include <algorithm>
#include <csignal>
#include <set>

#include "common/config/config.hpp"
#include "common/config/join_errors.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "proxy/session.hpp"

namespace lbha::proxy {

namespace {

using tcp = asio::ip::tcp;

}  // namespace

engine::engine(asio::io_context& control, const lbha::clock& clock, engine_options options)
    : control_(control),
      clock_(clock),
      options_(std::move(options)),
      table_(std::make_shared<stick_table>(clock, options_.stick_table_size)),
      checker_(std::make_shared<health_checker>(control)) {
  // splice(2) has no MSG_NOSIGNAL: a peer that vanished mid-transfer must
  // give EPIPE, not kill the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  if (!options_.source_address.empty()) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(options_.source_address, ec);
    if (!ec) source_address_ = a;
  }
  if (options_.threads == 0) options_.threads = std::max(1u, std::thread::hardware_concurrency());
}

engine::~engine() { stop(); }

result<void> engine::narrow_worker_capabilities() {
  std::lock_guard lock(mutex_);
  if (options_.worker_capabilities.empty()) return success();
  for (auto& w : workers_) {
    if (auto narrowed = w->narrow_capabilities(); !narrowed) return narrowed;
  }
  return success();
}

result<void> engine::start(const v1::ClusterConfig& config, std::optional<received_handover> from) {
  std::lock_guard lock(mutex_);
  if (started_) return error(errc::not_running, "already started");
  if (!options_.source_address.empty() && !source_address_) {
    return error(errc::invalid_config,
                 "proxy.source_address: '" + options_.source_address + "' is not an IP address");
  }
  data_plane_context context{table_.get(), source_address_, &workers_, options_.scheduling,
                             options_.worker_capabilities};
  for (std::size_t i = 0; i < options_.threads; ++i) {
    workers_.push_back(std::make_unique<worker>(context));
    workers_.back()->start();
  }
  inherited_ = from ? &*from : nullptr;
  auto applied = apply(config);
  inherited_ = nullptr;
  if (!applied) {
    for (auto& w : workers_) w->stop();
    workers_.clear();
    return applied;
  }
  if (from) resume_sessions(*from);
  started_ = true;
  schedule_sweep();
  return success();
}

result<void> engine::reload(const v1::ClusterConfig& config) {
  std::lock_guard lock(mutex_);
  if (!started_ || stopped_) return errc::not_running;
  return apply(config);
}

result<void> engine::apply(const v1::ClusterConfig& given) {
  // Validate everything before touching anything, so a bad config changes nothing.
  v1::ClusterConfig config = given;
  config::apply_defaults(config);
  if (auto errors = config::validate(config); !errors.empty()) {
    return error(errc::invalid_config, config::join_errors(errors, "; "));
  }
  // From here on the config is valid: common/config made every check proxyd needs.
  std::vector<service_settings> settings;
  for (const auto& vs : config.virtual_services()) settings.push_back(settings_of(vs));

  std::map<std::string, service_entry> next;
  std::map<tcp::endpoint, std::shared_ptr<virtual_service_state>> wanted;
  for (int i = 0; i < config.virtual_services_size(); ++i) {
    const auto& vs = config.virtual_services(i);
    auto old = services_.find(vs.label());
    std::shared_ptr<virtual_service_state> state;
    std::shared_ptr<const pool> previous;
    const v1::VirtualService* previous_config = nullptr;
    if (old != services_.end()) {
      state = old->second.state;
      previous = state->current();
      previous_config = &old->second.config;
    } else {
      state = std::make_shared<virtual_service_state>(vs.label());
    }
    auto p = build_pool(vs, settings[i], previous.get(), previous_config);
    state->install(p);
    for (auto port : settings[i].ports) wanted[tcp::endpoint(settings[i].ip, port)] = state;
    asio::post(control_, [checker = checker_, label = vs.label(), p] { checker->watch(label, p); });
    next[vs.label()] = service_entry{state, vs};
  }
  for (auto& [label, entry] : services_) {
    if (!next.count(label)) {
      asio::post(control_, [checker = checker_, label = label] { checker->forget(label); });
    }
  }

  std::vector<std::string> errors;
  for (auto& w : workers_) {
    auto opened = open_listeners(*w, wanted, errors);
    w->call([&] { sync_listeners(*w, wanted, std::move(opened)); });
  }
  auto log = get_logger("proxy");
  for (auto& e : errors) log->error("{}", e);
  services_ = std::move(next);
  generation_ = config.generation();
  listen_errors_ = std::move(errors);
  log->info("config generation {} applied: {} virtual services", generation_, services_.size());
  return success();
}

std::vector<std::shared_ptr<listener>> engine::open_listeners(worker& w, const listener_map& wanted,
                                                              std::vector<std::string>& errors) {
  // Which endpoints the worker lacks is read on its thread; the sockets are
  // opened here, on the calling thread (the daemon's io thread: the one that
  // keeps CAP_NET_BIND_SERVICE when proxyd runs as --user).
  auto have = w.call([&] {
    std::set<tcp::endpoint> out;
    for (auto& [at, l] : w.listeners()) out.insert(at);
    return out;
  });
  std::vector<std::shared_ptr<listener>> opened;
  for (auto& [at, service] : wanted) {
    if (have.count(at)) continue;
    auto l = std::make_shared<listener>(w, service, at);
    if (const int fd = inherited_ ? inherited_->take_listener(at) : -1; fd >= 0) {
      // The previous proxyd's socket: connections it queued are still there.
      l->adopt(fd);
      ++taken_over_.listeners;
      opened.push_back(std::move(l));
      continue;
    }
    if (auto r = l->open(); !r) {
      // Every worker fails alike: one message per endpoint.
      if (std::find(errors.begin(), errors.end(), r.error().message()) == errors.end())
        errors.push_back(r.error().message());
      continue;
    }
    opened.push_back(std::move(l));
  }
  return opened;
}

void engine::sync_listeners(worker& w, const listener_map& wanted,
                            std::vector<std::shared_ptr<listener>> opened) {
  auto& current = w.listeners();
  for (auto it = current.begin(); it != current.end();) {
    if (!wanted.count(it->first)) {
      it->second->close();
      it = current.erase(it);
    } else {
      it->second->set_service(wanted.at(it->first));
      ++it;
    }
  }
  for (auto& l : opened) {
    l->start();
    current.emplace(l->at(), std::move(l));
  }
}

void engine::resume_sessions(received_handover& from) {
  const auto& state = from.state();
  for (const auto& e : state.stick_entries()) {
    auto client = client_key::from_bytes(e.client());
    if (!client || !services_.count(e.virtual_service())) continue;
    table_->apply_remote(e.virtual_service(), *client, e.real_server(),
                         std::chrono::milliseconds(e.expires_in_ms()));
    ++taken_over_.stick_entries;
  }
  std::size_t next = 0;
  for (const auto& record : state.sessions()) {
    auto service = services_.find(record.virtual_service());
    const int client_fd = from.take_socket(record.client_local(), record.client_peer());
    auto peer = endpoint_of(record.client_peer());
    if (service == services_.end() || client_fd < 0 || !peer || record.vip_port() > 65535) {
      if (client_fd >= 0) ::close(client_fd);
      ++taken_over_.lost;
      continue;
    }
    const auto port = static_cast<std::uint16_t>(record.vip_port());
    auto state_ptr = service->second.state;
    worker& w = *workers_[next++ % workers_.size()];
    w.add_load();
    if (record.real_server().empty() && !record.fallback()) {
      // Still connecting when it was handed: nothing was read from the client.
      w.call([&] { std::make_shared<session>(w, client_fd, *peer, state_ptr, port)->start(); });
      ++taken_over_.sessions;
      continue;
    }
    auto pool = state_ptr->current();
    auto server = record.fallback() ? pool->fallback : pool->find(record.real_server());
    const int server_fd = from.take_socket(record.server_local(), record.server_peer());
    if (!server || server_fd < 0) {
      ::close(client_fd);
      if (server_fd >= 0) ::close(server_fd);
      w.release_load();
      ++taken_over_.lost;
      continue;
    }
    w.call([&] {
      std::make_shared<session>(w, client_fd, *peer, state_ptr, port)
          ->resume(record, server_fd, server, record.fallback());
    });
    ++taken_over_.sessions;
  }
  get_logger("proxy")->info(
      "took over from the previous proxyd: {} listening sockets, {} sessions ({} lost), {} "
      "persistence entries",
      taken_over_.listeners, taken_over_.sessions, taken_over_.lost, taken_over_.stick_entries);
}

result<engine::handover_counts> engine::hand_over(fd_store& store) {
  std::unique_lock lock(mutex_);
  if (!started_ || stopped_) return error(errc::not_running, "not running");
  v1::ProxyHandover state;
  std::vector<int> listener_fds, socket_fds;
  // Every worker stops accepting before any hands its sessions: a connection
  // a sibling assigned to it in between is then already in its queue.
  for (auto& w : workers_) w->call([&] { w->release_listeners(listener_fds); });
  handover_counts counts;
  for (auto& w : workers_) {
    w->call([&] { w->hand_over_sessions(state, socket_fds); });
  }
  const auto now = clock_.now();
  table_->for_each([&](const stick_change& c) {
    auto* e = state.add_stick_entries();
    e->set_virtual_service(c.service);
    e->set_client(std::string(reinterpret_cast<const char*>(c.client.bytes.data()), c.client.size));
    e->set_real_server(c.real_server);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(c.expires - now).count();
    e->set_expires_in_ms(static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1)));
  });
  counts.listeners = listener_fds.size();
  counts.sessions = static_cast<std::size_t>(state.sessions_size());
  counts.stick_entries = static_cast<std::size_t>(state.stick_entries_size());
  auto left = leave_handover(store, state, listener_fds, socket_fds);
  for (int fd : listener_fds) ::close(fd);
  for (int fd : socket_fds) ::close(fd);
  lock.unlock();
  stop();
  if (!left) return left.error();
  return counts;
}

engine::handover_counts engine::taken_over() const {
  std::lock_guard lock(mutex_);
  return taken_over_;
}

bool engine::alive() {
  std::lock_guard lock(mutex_);
  if (!started_ || stopped_) return true;
  bool all = true;
  for (auto& w : workers_) all = w->beat_answered() && all;
  // Ask again only once every worker answered: a late one stays "not alive".
  if (all)
    for (auto& w : workers_) w->ask_beat();
  return all;
}

void engine::schedule_sweep() {
  sweep_timer_ = std::make_shared<asio::steady_timer>(control_);
  struct sweeper {
    std::shared_ptr<asio::steady_timer> timer;
    std::shared_ptr<stick_table> table;
    std::shared_ptr<bool> stopped;
    void operator()(boost::system::error_code ec) const {
      // A cancel that comes after the timer fired but before this ran does
      // not reach it: without the flag it would re-arm, and the control
      // io_context (so the daemon's shutdown) would never run out of work.
      if (ec || *stopped) return;
      table->expire();
      timer->expires_after(std::chrono::seconds(1));
      timer->async_wait(*this);
    }
  };
  sweep_timer_->expires_after(std::chrono::seconds(1));
  sweep_timer_->async_wait(sweeper{sweep_timer_, table_, sweep_stopped_});
}

result<void> engine::set_real_server_state(const std::string& service,
                                           const std::string& real_server,
                                           v1::RealServerState state) {
  if (state != v1::REAL_SERVER_STATE_ONLINE && state != v1::REAL_SERVER_STATE_DRAIN &&
      state != v1::REAL_SERVER_STATE_HALT) {
    return errc::invalid_state;
  }
  std::lock_guard lock(mutex_);
  auto it = services_.find(service);
  if (it == services_.end())
    return error(errc::unknown_service, "no virtual service '" + service + "'");
  auto server = it->second.state->current()->find(real_server);
  if (!server)
    return error(errc::unknown_real_server,
                 "virtual service '" + service + "' has no real server '" + real_server + "'");
  server->set_admin_state(state);
  get_logger("proxy")->info("{}/{} set to {}", service, real_server,
                            v1::RealServerState_Name(state));
  if (state == v1::REAL_SERVER_STATE_HALT) {
    const real_server_state* target = server.get();
    for (auto& w : workers_) w->call([&] { w->close_sessions_of(target); });
  }
  return success();
}

bool engine::knows(const std::string& service, const std::string& real_server) const {
  std::lock_guard lock(mutex_);
  auto it = services_.find(service);
  return it != services_.end() && it->second.state->current()->find(real_server) != nullptr;
}

v1::ProxyStatus engine::status() const {
  std::lock_guard lock(mutex_);
  v1::ProxyStatus out;
  out.set_generation(generation_);
  for (const auto& [label, entry] : services_) {
    auto* vs = out.add_virtual_services();
    vs->set_label(label);
    vs->set_ip(entry.config.ip());
    *vs->mutable_ports() = entry.config.ports();
    const auto& c = entry.state->stats;
    vs->set_current_connections(c.current.load());
    vs->set_total_connections(c.total.load());
    vs->set_bytes_in(c.bytes_in.load());
    vs->set_bytes_out(c.bytes_out.load());
    vs->set_transparent_failures(entry.state->transparent_failures.load());
    auto p = entry.state->current();
    auto fill = [](v1::RealServerStatus* rs, const real_server_state* s) {
      rs->set_label(s->label());
      rs->set_ip(s->ip().to_string());
      rs->set_port(s->port());
      rs->set_weight(s->weight());
      rs->set_state(s->admin_state());
      rs->set_healthy(s->healthy());
      rs->set_current_connections(s->stats.current.load());
      rs->set_total_connections(s->stats.total.load());
      rs->set_bytes_in(s->stats.bytes_in.load());
      rs->set_bytes_out(s->stats.bytes_out.load());
      rs->set_last_check(s->last_check());
    };
    for (std::size_t i = 0; i < p->servers.size(); ++i) {
      auto* rs = vs->add_real_servers();
      fill(rs, p->servers[i].get());
      rs->set_backup(p->backup[i]);
    }
    // Clients sent to the fallback server (every real server down) are counted there.
    if (p->fallback) fill(vs->mutable_fallback(), p->fallback.get());
  }
  return out;
}

v1::ReadyReply engine::ready() const {
  std::lock_guard lock(mutex_);
  v1::ReadyReply r;
  if (!started_ || stopped_) {
    r.set_reason(stopped_ ? "stopped" : "not started");
  } else if (!listen_errors_.empty()) {
    r.set_reason(listen_errors_.front());
  } else {
    r.set_ready(true);
  }
  return r;
}

void engine::stop() {
  std::lock_guard lock(mutex_);
  if (stopped_) return;
  stopped_ = true;
  for (auto& w : workers_) w->stop();
  workers_.clear();
  asio::post(control_, [checker = checker_, timer = sweep_timer_, stopped = sweep_stopped_] {
    checker->stop();
    *stopped = true;
    if (timer) timer->cancel();
  });
}

}  // namespace lbha::proxy
