#include "snmp/node_status.hpp"

#include "cli/render.hpp"
#include "cli/status_view.hpp"

namespace lbha::snmp {

namespace {

ha_role role_of(v1::Role role) {
  switch (role) {
    case v1::ROLE_INIT:
      return ha_role::init;
    case v1::ROLE_PASSIVE:
      return ha_role::passive;
    case v1::ROLE_ACTIVE:
      return ha_role::active;
    case v1::ROLE_FAULT:
      return ha_role::fault;
    default:
      return ha_role::unknown;
  }
}

service_state service_state_of(const v1::VirtualServiceStatus& service) {
  const auto health = cli::service_health(service);
  if (health == "up") return service_state::up;
  if (health == "degraded") return service_state::degraded;
  if (health == "on backup") return service_state::on_backup;
  return service_state::down;
}

server_state server_state_of(const v1::RealServerStatus& server) {
  const auto state = cli::server_state(server);
  if (state == "halt") return server_state::halt;
  if (state == "drain") return server_state::drain;
  return state == "up" ? server_state::up : server_state::down;
}

std::string protocol_of(const web::node_read& read, const std::string& label) {
  if (!read.overview.config) return "";
  for (const auto& service : read.overview.config->virtual_services()) {
    if (service.label() == label) return cli::protocol_text(service);
  }
  return "";
}

}  // namespace

node_status status_of(const web::node_read& read) {
  node_status out;
  const auto& ha = read.overview.ha;
  const auto& proxy = read.overview.proxy;
  out.heartbeatd_up = ha.has_value();
  out.proxyd_up = proxy.has_value();
  out.syncd_up = read.sync.has_value();
  out.replicatord_up = read.replication.has_value();
  if (read.node) out.node_name = read.node->node_name();
  if (ha) {
    if (out.node_name.empty()) out.node_name = ha->node_name();
    out.role = role_of(ha->role());
    out.standalone = ha->standalone();
    out.peer_alive = ha->peer_alive();
    // A silent peer's last word is no longer its role.
    if (ha->peer_alive()) out.peer_role = role_of(ha->peer_role());
    out.vips_held = ha->vips_held();
  }
  if (!proxy) return out;
  out.config_generation = proxy->generation();
  for (const auto& service : proxy->virtual_services()) {
    virtual_service_status vs{
        .name = service.label(),
        .ip = service.ip(),
        .ports = cli::ports_text(service.ports()),
        .protocol = protocol_of(read, service.label()),
        .current_connections = service.current_connections(),
        .total_connections = service.total_connections(),
        .state = service_state_of(service),
        .real_servers = {},
    };
    for (const auto& server : service.real_servers()) {
      vs.real_servers.push_back({
          .name = server.label(),
          .ip = server.ip(),
          .port = server.port(),
          .weight = server.weight(),
          .current_connections = server.current_connections(),
          .total_connections = server.total_connections(),
          .state = server_state_of(server),
          .check_up = server.healthy(),
          .backup = server.backup(),
      });
    }
    out.virtual_services.push_back(std::move(vs));
  }
  return out;
}

node_status with_last_known(const node_status& known, node_status current) {
  if (!current.heartbeatd_up) {
    current.role = known.role;
    current.peer_role = known.peer_role;
    current.peer_alive = known.peer_alive;
    current.standalone = known.standalone;
    current.vips_held = known.vips_held;
  }
  if (!current.proxyd_up) {
    current.config_generation = known.config_generation;
    current.virtual_services = known.virtual_services;
  }
  return current;
}

}  // namespace lbha::snmp
