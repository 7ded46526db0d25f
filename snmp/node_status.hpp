// node_status: what LBHA-MIB shows of one read of the node (web/metrics.hpp's
// node_read, the read /metrics renders): this node's and the peer's HA role,
// which daemons answered, and the virtual services with their real servers,
// in lbctl status's words (cli/status_view.hpp decides up, down, drain...).
//
// Pure: the MIB's values (mib.hpp) and the traps (trap_events.hpp) are
// functions of it, tested from fixed messages.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "web/metrics.hpp"

namespace lbha::snmp {

// LBHA-MIB's LbhaHaRole: lbha.v1.Role's numbers, and unknown(5) for a role
// nobody reported (heartbeatd did not answer, the peer is silent).
enum class ha_role : std::int32_t { init = 1, passive = 2, active = 3, fault = 4, unknown = 5 };

// lbhaVsState: lbctl status's service health.
enum class service_state : std::int32_t { up = 1, degraded = 2, on_backup = 3, down = 4 };

// lbhaRsState: lbctl status's STATE column.
enum class server_state : std::int32_t { up = 1, down = 2, drain = 3, halt = 4 };

struct real_server_status {
  std::string name;
  std::string ip;
  std::uint32_t port = 0;  // 0: the virtual service's port
  std::uint32_t weight = 0;
  std::uint64_t current_connections = 0;
  std::uint64_t total_connections = 0;
  server_state state = server_state::down;
  bool check_up = false;  // the last health check passed, whatever the operator's state
  bool backup = false;
};

struct virtual_service_status {
  std::string name;
  std::string ip;
  std::string ports;     // "443", "80,8000-8010"
  std::string protocol;  // "tcp", "tcp transparent"; "" when cluster.yaml was unreadable
  std::uint64_t current_connections = 0;
  std::uint64_t total_connections = 0;
  service_state state = service_state::down;
  std::vector<real_server_status> real_servers;
};

struct node_status {
  std::string node_name;
  bool heartbeatd_up = false;
  bool proxyd_up = false;
  bool syncd_up = false;
  bool replicatord_up = false;
  ha_role role = ha_role::unknown;
  ha_role peer_role = ha_role::unknown;
  bool peer_alive = false;
  bool standalone = false;
  bool vips_held = false;
  std::uint64_t config_generation = 0;                   // the cluster.yaml generation proxyd runs
  std::vector<virtual_service_status> virtual_services;  // proxyd's order
};

node_status status_of(const web::node_read& read);

// `current`, with what a daemon that did not answer last reported kept
// from `known`: the baseline the next read's traps compare with, so that a
// change across a read that missed a daemon (a server that went down while
// proxyd restarted) is still reported, and a daemon's silence alone is not
// a change.
node_status with_last_known(const node_status& known, node_status current);

}  // namespace lbha::snmp
