#include "snmp/mib.hpp"

#include <algorithm>
#include <limits>

namespace lbha::snmp::mib {

namespace {

const oid lbha_objects = child(lbha_mib, {1});

std::uint32_t arc(auto e) { return static_cast<std::uint32_t>(e); }

// Gauge32 stops at its maximum rather than wrapping (RFC 2578 7.1.7).
gauge32 gauge(std::uint64_t v) {
  return {static_cast<std::uint32_t>(
      std::min<std::uint64_t>(v, std::numeric_limits<std::uint32_t>::max()))};
}

integer32 enumerated(auto e) { return {static_cast<std::int32_t>(e)}; }

}  // namespace

oid scalar(node_object object) { return child(lbha_objects, {1, arc(object), 0}); }

oid vs_cell(vs_column column, std::uint32_t vs) {
  return child(lbha_objects, {2, 1, arc(column), vs});
}

oid rs_cell(rs_column column, std::uint32_t vs, std::uint32_t rs) {
  return child(lbha_objects, {3, 1, arc(column), vs, rs});
}

oid previous_role() { return child(lbha_objects, {4, 1, 0}); }

oid_map values_of(const node_status& status) {
  oid_map out;
  out[scalar(node_object::name)] = status.node_name;
  out[scalar(node_object::ha_role)] = enumerated(status.role);
  out[scalar(node_object::peer_role)] = enumerated(status.peer_role);
  out[scalar(node_object::peer_alive)] = truth(status.peer_alive);
  out[scalar(node_object::standalone)] = truth(status.standalone);
  out[scalar(node_object::vips_held)] = truth(status.vips_held);
  out[scalar(node_object::config_generation)] = gauge(status.config_generation);
  out[scalar(node_object::heartbeatd_up)] = truth(status.heartbeatd_up);
  out[scalar(node_object::proxyd_up)] = truth(status.proxyd_up);
  out[scalar(node_object::syncd_up)] = truth(status.syncd_up);
  out[scalar(node_object::replicatord_up)] = truth(status.replicatord_up);
  std::uint32_t vs = 0;
  for (const auto& service : status.virtual_services) {
    ++vs;
    out[vs_cell(vs_column::name, vs)] = service.name;
    out[vs_cell(vs_column::ip, vs)] = service.ip;
    out[vs_cell(vs_column::ports, vs)] = service.ports;
    out[vs_cell(vs_column::protocol, vs)] = service.protocol;
    out[vs_cell(vs_column::current_connections, vs)] = gauge(service.current_connections);
    out[vs_cell(vs_column::total_connections, vs)] = counter64{service.total_connections};
    out[vs_cell(vs_column::state, vs)] = enumerated(service.state);
    std::uint32_t rs = 0;
    for (const auto& server : service.real_servers) {
      ++rs;
      out[rs_cell(rs_column::name, vs, rs)] = server.name;
      out[rs_cell(rs_column::ip, vs, rs)] = server.ip;
      out[rs_cell(rs_column::port, vs, rs)] = gauge32{server.port};
      out[rs_cell(rs_column::weight, vs, rs)] = gauge32{server.weight};
      out[rs_cell(rs_column::current_connections, vs, rs)] = gauge(server.current_connections);
      out[rs_cell(rs_column::total_connections, vs, rs)] = counter64{server.total_connections};
      out[rs_cell(rs_column::state, vs, rs)] = enumerated(server.state);
      out[rs_cell(rs_column::check_up, vs, rs)] = truth(server.check_up);
      out[rs_cell(rs_column::backup, vs, rs)] = truth(server.backup);
    }
  }
  return out;
}

notification role_change_trap(const node_status& now, ha_role previous) {
  return {role_change,
          {
              {scalar(node_object::name), now.node_name},
              {previous_role(), enumerated(previous)},
              {scalar(node_object::ha_role), enumerated(now.role)},
          }};
}

notification real_server_trap(const node_status& now, std::uint32_t vs, std::uint32_t rs, bool up) {
  const auto& service = now.virtual_services.at(vs - 1);
  const auto& server = service.real_servers.at(rs - 1);
  return {up ? real_server_up : real_server_down,
          {
              {vs_cell(vs_column::name, vs), service.name},
              {rs_cell(rs_column::name, vs, rs), server.name},
              {rs_cell(rs_column::ip, vs, rs), server.ip},
              {rs_cell(rs_column::port, vs, rs), gauge32{server.port}},
              {rs_cell(rs_column::state, vs, rs), enumerated(server.state)},
          }};
}

}  // namespace lbha::snmp::mib
