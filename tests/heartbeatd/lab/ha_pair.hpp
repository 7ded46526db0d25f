// A two-node heartbeatd pair in the lab, for the lab scenarios of issue 7.
//
// lb1 and lb2 run lbha-heartbeatd (paired: same cluster id and key, node ids
// 1 and 2) plus an lbha-lab-server bound to the VIP with IP_FREEBIND that
// answers "server lbN", so the client sees which node holds the VIP. rs1 is
// the ping node when ping nodes are enabled. Status comes from each daemon's
// gRPC socket; ownership from the kernel (`ip addr`) in each namespace.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "lbha/v1/config.pb.h"
#include "lbha/v1/ha.grpc.pb.h"
#include "tests/lab/lab.hpp"

namespace lbha::heartbeat::lab_tests {

struct pair_options {
  std::uint32_t interval_ms = 100;
  std::uint32_t deadtime_ms = 1000;
  std::uint32_t initdead_ms = 1000;
  bool arp_probe = true;
  bool ping_nodes = false;  // rs1 as ICMP ping node on both
  bool ipv6_vip = false;    // a second VIP, vip6(), in an IPv6 lab
  bool ipv4_vip = true;     // false with ipv6_vip: vip6() is the only VIP
  // false: no pairing identity or key yet (both standalone) and lb2 has no
  // cluster.yaml, as before `lbctl pair`; write_pairing() + reload() pair them.
  bool paired = true;
};

inline const std::string vip6 = "2001:db8::100";

extern const std::string test_key_hex;

class ha_pair {
 public:
  ha_pair(lab::lab& l, pair_options o);

  void start_daemon(int i);  // (re)starts heartbeatd on lb<i>
  lab::process& daemon(int i) { return *daemons_[i - 1]; }

  lbha::v1::HaStatus status(int i) const;
  lbha::v1::HaResult make_active(int i, bool force = false) const;
  lbha::v1::HaResult make_passive(int i) const;
  lbha::v1::ReloadResult reload(int i) const;  // Ha.Reload on lb<i>

  // The cluster.yaml both nodes started with; write_cluster(i, c) replaces lb<i>'s.
  const lbha::v1::ClusterConfig& cluster() const { return cluster_; }
  void write_cluster(int i, const lbha::v1::ClusterConfig& c) const;
  // What pairing leaves in lb<i>'s state dir: the identity and the shared key.
  void write_pairing(int i) const;

  bool holds_vip(int i) const;                // the VIP is on lb<i>'s eth0
  bool holds(int i, const std::string& ipv4) const;  // that address is on lb<i>'s eth0
  bool holds_vip6(int i) const;               // vip6 is on lb<i>'s eth0
  std::string client_neighbour_mac6() const;  // the client's neighbour entry for vip6
  std::string mac(const std::string& node) const;
  std::string client_neighbour_mac() const;  // the client's ARP entry for the VIP
  std::string client_reaches() const;        // "lb1", "lb2" or "" (no answer)

  // Waits until exactly one node is active and holds the VIP; returns it (0 on timeout).
  int wait_single_owner(std::chrono::milliseconds timeout) const;

  const std::string& vip() const { return vip_; }
  lab::lab& lab() { return lab_; }

 private:
  lab::lab& lab_;
  pair_options options_;
  std::string vip_;
  lbha::v1::ClusterConfig cluster_;
  lab::process* daemons_[2] = {nullptr, nullptr};
};

}  // namespace lbha::heartbeat::lab_tests
