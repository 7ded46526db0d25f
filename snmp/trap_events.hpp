// trap_events: what changed between two reads of the node that LBHA-MIB
// sends a notification for. Pure, so every case is a unit test.
//
// - The HA role: when heartbeatd reported a role in both and they differ.
// - A real server's health check: down when it stopped passing, up when it
//   passes again (lbhaRsCheckUp), whatever the operator's drain or halt;
//   matched by service and server name, so a renumbering config change is
//   not a change, and a server added or removed is none either.
//
// The caller passes as `before` the last known status (with_last_known),
// and nothing on the first read: a trap says something changed, and the
// first read has nothing to compare with.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "snmp/node_status.hpp"
#include "snmp/oid.hpp"

namespace lbha::snmp {

struct role_changed {
  ha_role from = ha_role::unknown;
  ha_role to = ha_role::unknown;
  bool operator==(const role_changed&) const = default;
};

// The server at (vs, rs) of `after`, 1-based as the MIB's indices.
struct real_server_changed {
  std::uint32_t vs = 0;
  std::uint32_t rs = 0;
  bool up = false;
  bool operator==(const real_server_changed&) const = default;
};

using trap_event = std::variant<role_changed, real_server_changed>;

std::vector<trap_event> trap_events(const node_status& before, const node_status& after);

// The notification LBHA-MIB defines for the event (mib.hpp).
notification notification_of(const trap_event& event, const node_status& after);

}  // namespace lbha::snmp
