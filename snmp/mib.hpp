// LBHA-MIB (deploy/snmp/LBHA-MIB.txt) as the subagent serves it: where each
// object lives and its value for one node_status, and the three
// notifications with their OBJECTS.
//
// The root is 1.3.6.1.3.6694 (experimental.6694; 6694 is lbha's heartbeat
// port): lbha has no IANA Private Enterprise Number yet, and the MIB moves
// under enterprises when one is assigned. The arcs below and the MIB file
// must agree: tests/snmp/mib_test.cpp checks them against the file.
//
// Tables are indexed by position: lbhaVsIndex is the service's place in
// proxyd's list (cluster.yaml's order, from 1), lbhaRsIndex the real
// server's place in its service. A config change may renumber rows; the
// names (lbhaVsName, lbhaRsName) are the identities, and every trap carries
// them.
#pragma once

#include "snmp/node_status.hpp"
#include "snmp/oid.hpp"

namespace lbha::snmp::mib {

inline const oid lbha_mib{1, 3, 6, 1, 3, 6694};

// lbhaNotifications (lbhaMIB 0).
inline const oid role_change = child(lbha_mib, {0, 1});
inline const oid real_server_down = child(lbha_mib, {0, 2});
inline const oid real_server_up = child(lbha_mib, {0, 3});

// lbhaNode (lbhaObjects 1): scalars, instance .0.
enum class node_object : std::uint32_t {
  name = 1,
  ha_role = 2,
  peer_role = 3,
  peer_alive = 4,
  standalone = 5,
  vips_held = 6,
  config_generation = 7,
  heartbeatd_up = 8,
  proxyd_up = 9,
  syncd_up = 10,
  replicatord_up = 11,
};
oid scalar(node_object object);

// lbhaVirtualServiceEntry (lbhaObjects 2 1), instance .<vs>.
enum class vs_column : std::uint32_t {
  name = 2,
  ip = 3,
  ports = 4,
  protocol = 5,
  current_connections = 6,
  total_connections = 7,
  state = 8,
};
oid vs_cell(vs_column column, std::uint32_t vs);

// lbhaRealServerEntry (lbhaObjects 3 1), instance .<vs>.<rs>.
enum class rs_column : std::uint32_t {
  name = 2,
  ip = 3,
  port = 4,
  weight = 5,
  current_connections = 6,
  total_connections = 7,
  state = 8,
  check_up = 9,
  backup = 10,
};
oid rs_cell(rs_column column, std::uint32_t vs, std::uint32_t rs);

// lbhaHaPreviousRole (lbhaObjects 4 1): accessible-for-notify, in
// lbhaRoleChange only.
oid previous_role();

// Every readable instance of the MIB for one read of the node.
oid_map values_of(const node_status& status);

// lbhaRoleChange: lbhaNodeName, lbhaHaPreviousRole, lbhaHaRole.
notification role_change_trap(const node_status& now, ha_role previous);

// lbhaRealServerDown / lbhaRealServerUp: lbhaVsName, lbhaRsName, lbhaRsIp,
// lbhaRsPort, lbhaRsState of the server at (vs, rs), 1-based, in `now`.
notification real_server_trap(const node_status& now, std::uint32_t vs, std::uint32_t rs, bool up);

}  // namespace lbha::snmp::mib
