// Fixed reads of a node for the SNMP tests: lb1 active with its peer
// passive, proxyd at generation 7 with one virtual service DA_VIP
// (192.0.2.10:443) and three real servers: RIP1 up, RIP2 failing its
// check, RIP3 drained.
#pragma once

#include "web/metrics.hpp"

namespace lbha::snmp::test_reads {

inline v1::RealServerStatus* add_server(v1::VirtualServiceStatus& service, const char* label,
                                        const char* ip, bool healthy) {
  auto* server = service.add_real_servers();
  server->set_label(label);
  server->set_ip(ip);
  server->set_port(443);
  server->set_weight(100);
  server->set_state(v1::REAL_SERVER_STATE_ONLINE);
  server->set_healthy(healthy);
  return server;
}

// DA_VIP on 192.0.2.10:443, 3 connections open, 5e9 accepted (beyond
// 32 bits: Counter64), no real server yet.
inline v1::VirtualServiceStatus& add_da_vip(v1::ProxyStatus& proxy) {
  auto* service = proxy.add_virtual_services();
  service->set_label("DA_VIP");
  service->set_ip("192.0.2.10");
  auto* ports = service->add_ports();
  ports->set_first(443);
  ports->set_last(443);
  service->set_current_connections(3);
  service->set_total_connections(5'000'000'000);
  return *service;
}

inline web::node_read seed() {
  web::node_read read;
  v1::HaStatus ha;
  ha.set_node_name("lb1");
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_peer_alive(true);
  ha.set_peer_role(v1::ROLE_PASSIVE);
  ha.set_vips_held(true);
  read.overview.ha = ha;

  v1::ProxyStatus proxy;
  proxy.set_generation(7);
  auto& service = add_da_vip(proxy);
  auto* rip1 = add_server(service, "RIP1", "198.51.100.11", true);
  rip1->set_current_connections(2);
  rip1->set_total_connections(40);
  add_server(service, "RIP2", "198.51.100.12", false);
  add_server(service, "RIP3", "198.51.100.13", true)->set_state(v1::REAL_SERVER_STATE_DRAIN);
  read.overview.proxy = proxy;

  v1::ClusterConfig config;
  auto* configured = config.add_virtual_services();
  configured->set_label("DA_VIP");
  configured->set_protocol(v1::PROTOCOL_TCP);
  read.overview.config = config;

  read.sync = v1::SyncStatus{};
  read.replication = v1::ReplicationStatus{};
  v1::NodeConfig node;
  node.set_node_name("lb1");
  read.node = node;
  return read;
}

// The seed's RIP<n> (1-based).
inline v1::RealServerStatus& server(web::node_read& read, int n) {
  return *read.overview.proxy->mutable_virtual_services(0)->mutable_real_servers(n - 1);
}

}  // namespace lbha::snmp::test_reads
