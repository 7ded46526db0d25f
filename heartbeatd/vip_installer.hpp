// vip_installer: which VIPs this node serves and whether it holds them now.
//
// The state machine says add_vips / remove_vips; the installer turns that into
// one rtnetlink change per VIP through an address_table (failures are logged:
// a VIP that cannot be added must not stop the others). A reload while held
// removes the VIPs that went away and adds the new ones.
#pragma once

#include <vector>

#include "heartbeatd/vip_addresses.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha::heartbeat {

// The VIPs of a (validated) cluster config, each once, in config order.
std::vector<ip_address> vips_of(const v1::ClusterConfig& cluster);

// lbha-heartbeatd --release-vips (the unit's ExecStopPost, after a crash or
// kill -9 left the VIPs on): removes from `table` exactly those of `vips`
// that `present` lists, and nothing else. Returns the ones removed.
result<std::vector<ip_address>> release_vips(address_table& table,
                                             const std::vector<ip_address>& present,
                                             const std::vector<ip_address>& vips);

class vip_installer {
 public:
  vip_installer(address_table& table, std::vector<ip_address> vips)
      : table_(table), vips_(std::move(vips)) {}

  void add();
  void remove();
  // A new VIP set (Reload); while held, the kernel follows at once.
  void set_vips(std::vector<ip_address> vips);

  bool held() const { return held_; }
  const std::vector<ip_address>& vips() const { return vips_; }
  bool is_vip(const asio::ip::address_v4& a) const { return contains(ip_address(a)); }
  bool is_vip(const asio::ip::address_v6& a) const { return contains(ip_address(a)); }
  bool has_v6() const;

 private:
  bool contains(const ip_address& a) const;

  address_table& table_;
  std::vector<ip_address> vips_;
  bool held_ = false;
};

}  // namespace lbha::heartbeat
