#include "snmp/trap_events.hpp"

#include "snmp/mib.hpp"

namespace lbha::snmp {

namespace {

const real_server_status* find_server(const node_status& status, const std::string& service,
                                      const std::string& server) {
  for (const auto& vs : status.virtual_services) {
    if (vs.name != service) continue;
    for (const auto& rs : vs.real_servers) {
      if (rs.name == server) return &rs;
    }
  }
  return nullptr;
}

}  // namespace

std::vector<trap_event> trap_events(const node_status& before, const node_status& after) {
  std::vector<trap_event> out;
  if (before.role != ha_role::unknown && after.role != ha_role::unknown &&
      before.role != after.role) {
    out.push_back(role_changed{before.role, after.role});
  }
  std::uint32_t vs = 0;
  for (const auto& service : after.virtual_services) {
    ++vs;
    std::uint32_t rs = 0;
    for (const auto& server : service.real_servers) {
      ++rs;
      const auto* was = find_server(before, service.name, server.name);
      if (was && was->check_up != server.check_up) {
        out.push_back(real_server_changed{vs, rs, server.check_up});
      }
    }
  }
  return out;
}

notification notification_of(const trap_event& event, const node_status& after) {
  if (const auto* role = std::get_if<role_changed>(&event)) {
    return mib::role_change_trap(after, role->from);
  }
  const auto& server = std::get<real_server_changed>(event);
  return mib::real_server_trap(after, server.vs, server.rs, server.up);
}

}  // namespace lbha::snmp
