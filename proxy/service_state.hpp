// The run-time state of virtual services and real servers, shared by every
// worker thread, the health checker and the gRPC handlers.
//
// Lifecycle: a real_server_state lives as long as any pool or open connection
// refers to it; a reload that keeps a real server (same label, address and
// port) reuses its state, so counters, health and open connections carry on.
// A pool is an immutable snapshot of one service's configuration (settings,
// servers, balancer); a reload swaps in a new pool atomically and connections
// already open keep the old one until they close.
//
// Concurrency: everything the data path touches per connection is atomic
// (counters, health, admin state, weight); the pool pointer is an atomic
// shared_ptr. health_ and last_check_ are written only by the health checker
// (last_check_ under its mutex, because status readers copy it).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "lbha/v1/config.pb.h"
#include "proxy/address.hpp"
#include "proxy/balancer.hpp"
#include "proxy/health_state.hpp"
#include "proxy/proxy_header.hpp"
#include "proxy/stick_table.hpp"

namespace lbha::proxy {

struct counters {
  std::atomic<std::uint64_t> current{0};
  std::atomic<std::uint64_t> total{0};
  std::atomic<std::uint64_t> bytes_in{0};   // received from clients
  std::atomic<std::uint64_t> bytes_out{0};  // sent to clients
};

class real_server_state {
 public:
  real_server_state(std::string label, asio::ip::address ip, std::uint16_t port,
                    std::uint32_t weight, v1::RealServerState state, std::uint32_t rise,
                    std::uint32_t fall);

  const std::string& label() const { return label_; }
  const asio::ip::address& ip() const { return ip_; }
  std::uint16_t port() const { return port_; }  // 0 = the port the client connected to
  asio::ip::tcp::endpoint endpoint(std::uint16_t vip_port) const {
    return {ip_, port_ ? port_ : vip_port};
  }
  std::uint64_t seed() const { return seed_; }

  std::uint32_t weight() const { return weight_.load(std::memory_order_relaxed); }
  void set_weight(std::uint32_t w) { weight_.store(w); }
  v1::RealServerState admin_state() const { return admin_.load(std::memory_order_relaxed); }
  void set_admin_state(v1::RealServerState s) { admin_.store(s); }
  bool healthy() const { return healthy_.load(std::memory_order_relaxed); }

  // May take a new client: healthy, online and weight > 0.
  bool available() const {
    return healthy() && admin_state() == v1::REAL_SERVER_STATE_ONLINE && weight() > 0;
  }
  // May take back a client stuck to it: healthy and online or draining.
  bool sticky_usable() const { return healthy() && admin_state() != v1::REAL_SERVER_STATE_HALT; }

  // Health checker only. Returns true when the up/down state changed.
  bool record_check(bool passed, std::string detail);
  void reset_health(std::uint32_t rise, std::uint32_t fall);
  // For servers without a health check: up for good.
  void force_up(std::string detail);
  std::string last_check() const;

  counters stats;

 private:
  const std::string label_;
  const asio::ip::address ip_;
  const std::uint16_t port_;
  const std::uint64_t seed_;
  std::atomic<std::uint32_t> weight_;
  std::atomic<v1::RealServerState> admin_;
  std::atomic<bool> healthy_{true};
  health_state health_;
  mutable std::mutex check_mutex_;
  std::string last_check_ = "not checked yet";
};

// One service's settings in the types the data path uses. No defaults here:
// common/config owns every default and every check.
struct service_settings {
  std::string label;
  asio::ip::address ip;
  std::vector<std::uint16_t> ports;
  bool persistent = false;
  std::chrono::milliseconds stick_ttl{};
  balance_policy balance = balance_policy::leastconn;
  std::chrono::milliseconds client_timeout{};
  std::chrono::milliseconds server_timeout{};
  std::chrono::milliseconds connect_timeout{};
  std::optional<asio::ip::tcp::endpoint> fallback;  // port 0: the client's port
  std::uint32_t max_connections = 0;
  bool all_backups = false;  // failover mode: balance over every backup, not just the first
  proxy_protocol send_proxy = proxy_protocol::none;  // header on each real server connection
  bool transparent = false;  // real server connections leave from the client's address (TProxy)
  v1::HealthCheck check;
};

// An immutable snapshot of one service's pool of real servers.
struct pool {
  service_settings settings;
  std::vector<std::shared_ptr<real_server_state>> servers;
  std::vector<bool> backup;                     // backup[i]: servers[i] is a backup (failover mode)
  std::shared_ptr<real_server_state> fallback;  // label "fallback"; null when not configured
  std::unique_ptr<balancer> balance;            // over the primaries (backups at weight 0)
  std::unique_ptr<balancer> backup_balance;     // over the backups; with all_backups only

  std::shared_ptr<real_server_state> find(const std::string& label) const;

  // Chooses a server for `client`: its stuck server when usable, else the
  // balancer's pick among the primary servers (recorded in `table` when
  // persistent); when no primary can take it, the first available backup in
  // config order (the balancer's pick among the backups with all_backups).
  // Servers listed in `tried` are skipped: a client whose primary refused the
  // connection goes on to a backup rather than to nothing. Increments the chosen server's current
  // count; the caller decrements it when the connection ends. Null when none is usable.
  std::shared_ptr<real_server_state> select(const client_key& client, stick_table& table,
                                            std::span<const real_server_state* const> tried) const;
};

class virtual_service_state {
 public:
  explicit virtual_service_state(std::string label) : label_(std::move(label)) {}

  const std::string& label() const { return label_; }
  std::shared_ptr<const pool> current() const { return pool_.load(); }
  void install(std::shared_ptr<const pool> p) { pool_.store(std::move(p)); }

  counters stats;
  // Clients closed because their real server connection could not take the
  // client's address (transparent services; proxy/transparent.hpp).
  std::atomic<std::uint64_t> transparent_failures{0};

 private:
  const std::string label_;
  std::atomic<std::shared_ptr<const pool>> pool_;
};

// `config` as common/config defaulted and validated it (apply_defaults, then
// validate() without errors), in the data path's types. Cannot fail.
service_settings settings_of(const v1::VirtualService& config);

// Builds the pool for `config` (defaulted and validated), reusing states from `previous` (may be
// null) for real servers whose label, address and port are unchanged.
std::shared_ptr<pool> build_pool(const v1::VirtualService& config, service_settings settings,
                                 const pool* previous, const v1::VirtualService* previous_config);

}  // namespace lbha::proxy
