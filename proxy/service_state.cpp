#include "proxy/service_state.hpp"

#include <algorithm>
#include <functional>

namespace lbha::proxy {

real_server_state::real_server_state(std::string label, asio::ip::address ip, std::uint16_t port,
                                     std::uint32_t weight, v1::RealServerState state,
                                     std::uint32_t rise, std::uint32_t fall)
    : label_(std::move(label)),
      ip_(ip),
      port_(port),
      seed_(std::hash<std::string>{}(label_)),
      weight_(weight),
      admin_(state),
      health_(rise, fall) {}

bool real_server_state::record_check(bool passed, std::string detail) {
  const bool changed = health_.record(passed);
  healthy_.store(health_.up());
  std::lock_guard lock(check_mutex_);
  last_check_ = std::move(detail);
  return changed;
}

void real_server_state::reset_health(std::uint32_t rise, std::uint32_t fall) {
  // Keeps the current up/down state across a change of rise/fall.
  const bool was_up = health_.up();
  health_ = health_state(rise, fall);
  if (!was_up) health_.record(false);
  healthy_.store(health_.up());
}

void real_server_state::force_up(std::string detail) {
  health_ = health_state(1, 1);
  healthy_.store(true);
  std::lock_guard lock(check_mutex_);
  last_check_ = std::move(detail);
}

std::string real_server_state::last_check() const {
  std::lock_guard lock(check_mutex_);
  return last_check_;
}

std::shared_ptr<real_server_state> pool::find(const std::string& label) const {
  for (auto& s : servers) {
    if (s->label() == label) return s;
  }
  return nullptr;
}

std::shared_ptr<real_server_state> pool::select(
    const client_key& client, stick_table& table,
    std::span<const real_server_state* const> tried) const {
  auto was_tried = [&](const real_server_state* s) {
    return std::find(tried.begin(), tried.end(), s) != tried.end();
  };
  if (settings.persistent) {
    if (auto label = table.lookup(settings.label, client, settings.stick_ttl)) {
      auto s = find(*label);
      if (s && s->sticky_usable() && !was_tried(s.get())) {
        s->stats.current.fetch_add(1, std::memory_order_relaxed);
        return s;
      }
    }
  }
  auto usable = [&](std::size_t i) {
    return servers[i]->available() && !was_tried(servers[i].get());
  };
  auto pick_among = [&](balancer& among, bool backups) {
    return among.pick(
        servers.size(),
        [&](std::size_t i) {
          const auto& s = servers[i];
          return server_view{s->weight(), backup[i] == backups && usable(i),
                             s->stats.current.load(std::memory_order_relaxed)};
        },
        client.hash());
  };
  auto i = pick_among(*balance, false);
  if (!i && backup_balance) i = pick_among(*backup_balance, true);
  for (std::size_t k = 0; !i && !backup_balance && k < servers.size(); ++k) {
    if (backup[k] && usable(k)) i = k;
  }
  if (!i) return nullptr;
  auto s = servers[*i];
  s->stats.current.fetch_add(1, std::memory_order_relaxed);
  if (settings.persistent) table.stick(settings.label, client, s->label(), settings.stick_ttl);
  return s;
}

service_settings settings_of(const v1::VirtualService& config) {
  service_settings s;
  s.label = config.label();
  s.ip = asio::ip::make_address(config.ip());
  for (const auto& r : config.ports()) {
    for (std::uint32_t p = r.first(); p <= r.last(); ++p)
      s.ports.push_back(static_cast<std::uint16_t>(p));
  }
  std::sort(s.ports.begin(), s.ports.end());
  s.persistent = config.persistence().mode() == v1::Persistence::MODE_SOURCE_IP;
  s.stick_ttl = std::chrono::seconds(config.persistence().timeout_s());
  switch (config.balance()) {
    case v1::BALANCE_ROUNDROBIN:
      s.balance = balance_policy::roundrobin;
      break;
    case v1::BALANCE_SOURCE:
      s.balance = balance_policy::source;
      break;
    default:
      s.balance = balance_policy::leastconn;
      break;
  }
  s.client_timeout = std::chrono::milliseconds(config.timeouts().client_ms());
  s.server_timeout = std::chrono::milliseconds(config.timeouts().server_ms());
  s.connect_timeout = std::chrono::milliseconds(config.timeouts().connect_ms());
  if (config.has_fallback()) {
    // Port 0: the port the client connected to, as for a real server.
    s.fallback = asio::ip::tcp::endpoint(asio::ip::make_address(config.fallback().ip()),
                                         static_cast<std::uint16_t>(config.fallback().port()));
  }
  s.max_connections = config.max_connections();
  s.all_backups = config.all_backups();
  s.send_proxy = config.send_proxy() == v1::SEND_PROXY_V1   ? proxy_protocol::v1
                 : config.send_proxy() == v1::SEND_PROXY_V2 ? proxy_protocol::v2
                                                            : proxy_protocol::none;
  s.transparent = config.transparent();
  s.check = config.check();
  return s;
}

std::shared_ptr<pool> build_pool(const v1::VirtualService& config, service_settings settings,
                                 const pool* previous, const v1::VirtualService* previous_config) {
  auto p = std::make_shared<pool>();
  p->settings = std::move(settings);
  const auto& check = p->settings.check;
  const bool checked = check.type() != v1::HealthCheck::TYPE_NONE;
  // The primaries' balancer sees the backups at weight 0 and the backups'
  // balancer the primaries, so each round-robin turn is over its own tier.
  std::vector<std::uint32_t> weights, backup_weights;
  std::vector<std::uint64_t> seeds;
  for (const auto& r : config.real_servers()) {
    const auto ip = asio::ip::make_address(r.ip());
    const auto port = static_cast<std::uint16_t>(r.port());
    const auto state = r.state();
    std::shared_ptr<real_server_state> s;
    if (previous) {
      auto old = previous->find(r.label());
      if (old && old->ip() == ip && old->port() == port) s = old;
    }
    if (s) {
      s->set_weight(r.weight());
      // A state set at run time (lbctl) survives a reload unless the config
      // itself changed that server's state.
      const v1::RealServer* before = nullptr;
      if (previous_config) {
        for (const auto& o : previous_config->real_servers()) {
          if (o.label() == r.label()) before = &o;
        }
      }
      if (!before || before->state() != r.state()) s->set_admin_state(state);
      if (!previous_config || previous_config->check().rise() != check.rise() ||
          previous_config->check().fall() != check.fall()) {
        s->reset_health(check.rise(), check.fall());
      }
      if (!checked) s->force_up("no check configured");
    } else {
      s = std::make_shared<real_server_state>(r.label(), ip, port, r.weight(), state, check.rise(),
                                              check.fall());
      if (!checked) s->force_up("no check configured");
    }
    weights.push_back(r.backup() ? 0 : r.weight());
    backup_weights.push_back(r.backup() ? r.weight() : 0);
    seeds.push_back(s->seed());
    p->servers.push_back(std::move(s));
    p->backup.push_back(r.backup());
  }
  if (p->settings.fallback) {
    if (previous && previous->fallback &&
        previous->fallback->endpoint(0) == *p->settings.fallback) {
      p->fallback = previous->fallback;
    } else {
      p->fallback = std::make_shared<real_server_state>("fallback", p->settings.fallback->address(),
                                                        p->settings.fallback->port(), 1,
                                                        v1::REAL_SERVER_STATE_ONLINE, 1, 1);
      p->fallback->force_up("fallback server: not checked");
    }
  }
  if (p->settings.all_backups) {
    p->backup_balance =
        std::make_unique<balancer>(p->settings.balance, std::move(backup_weights), seeds);
  }
  p->balance =
      std::make_unique<balancer>(p->settings.balance, std::move(weights), std::move(seeds));
  return p;
}

}  // namespace lbha::proxy
