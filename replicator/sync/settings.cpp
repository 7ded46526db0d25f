#include "replicator/sync/settings.hpp"

#include <charconv>

#include <boost/asio/ip/address.hpp>

namespace lbha::sync {

std::vector<table_config> tables_from(const lbha::v1::ClusterConfig& cluster) {
  std::vector<table_config> out;
  for (const auto& vs : cluster.virtual_services()) {
    if (vs.persistence().mode() != lbha::v1::Persistence::MODE_SOURCE_IP) continue;
    boost::system::error_code ec;
    const auto vip = boost::asio::ip::make_address(vs.ip(), ec);
    table_config t;
    t.name = vs.label();
    t.key = !ec && vip.is_v6() ? key_type::ipv6 : key_type::ipv4;
    const std::uint32_t timeout_s = vs.persistence().timeout_s() ? vs.persistence().timeout_s() : 1800;
    t.expire_ms = timeout_s * 1000;
    for (const auto& rs : vs.real_servers()) t.servers.push_back(rs.label());
    out.push_back(std::move(t));
  }
  return out;
}

node_settings settings_from(const lbha::v1::NodeConfig& node,
                            const lbha::v1::ClusterConfig& cluster,
                            const std::vector<peer_config>& extra_peers) {
  node_settings s;
  s.local_name = node.node_name();
  s.tables = tables_from(cluster);
  // The store holds what proxyd's table may hold (node.yaml proxy.stick_table_size).
  if (node.proxy().stick_table_size() > 0) s.max_entries = node.proxy().stick_table_size();
  if (node.peer_addresses_size() > 0) {
    peer_config partner;
    partner.addresses.assign(node.peer_addresses().begin(), node.peer_addresses().end());
    partner.port = static_cast<std::uint16_t>(node.ports().sync() ? node.ports().sync() : 7778);
    s.peers.push_back(std::move(partner));
  }
  s.peers.insert(s.peers.end(), extra_peers.begin(), extra_peers.end());
  return s;
}

bool parse_peer_spec(std::string_view spec, peer_config& out) {
  const auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) return false;
  std::string_view rest = spec.substr(eq + 1);
  const auto colon = rest.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view host = rest.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string_view port_text = rest.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
    return false;
  }
  boost::system::error_code address_error;
  boost::asio::ip::make_address(std::string(host), address_error);
  if (address_error) return false;
  out.name = std::string(spec.substr(0, eq));
  out.addresses = {std::string(host)};
  out.port = static_cast<std::uint16_t>(port);
  return true;
}

}  // namespace lbha::sync
