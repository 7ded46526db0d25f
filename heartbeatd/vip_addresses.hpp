// VIP addresses on the interface, through rtnetlink (libmnl): the netlink
// seam of heartbeatd. address_table is what the vip_installer needs;
// vip_addresses is the real one, the test double lives in
// tests/heartbeatd/doubles.hpp.
//
// IPv4 VIPs are added as /32 and IPv6 VIPs as /128 with IFA_F_NODAD, so the
// address is usable the moment the takeover adds it (no duplicate address
// detection delay: the ARP probe before the takeover plays that role).
// Adding an address that is already there and removing one that is not are
// successes: both are what the caller wanted.
//
// Blocking calls on a private netlink socket; each takes well under a
// millisecond, so the daemon makes them from its io_context thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/result.hpp"

struct mnl_socket;

namespace lbha::heartbeat {

using ip_address = asio::ip::address;

class address_table {
 public:
  virtual ~address_table() = default;
  virtual result<void> add(const ip_address& vip) = 0;
  virtual result<void> remove(const ip_address& vip) = 0;
  virtual int ifindex() const = 0;
};

class vip_addresses final : public address_table {
 public:
  // Opens a netlink socket for `interface`; fails when the interface does not exist.
  static result<std::unique_ptr<vip_addresses>> open(const std::string& interface);
  ~vip_addresses() override;

  result<void> add(const ip_address& vip) override;
  result<void> remove(const ip_address& vip) override;
  // Every address currently on the interface.
  result<std::vector<ip_address>> list();

  int ifindex() const override { return ifindex_; }
  const std::string& interface() const { return interface_; }

 private:
  vip_addresses(mnl_socket* nl, int ifindex, std::string interface);
  result<void> change(const ip_address& vip, bool add);

  mnl_socket* nl_;
  unsigned port_id_;
  unsigned seq_;
  int ifindex_;
  std::string interface_;
};

}  // namespace lbha::heartbeat
