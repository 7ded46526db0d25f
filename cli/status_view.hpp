// The System Overview as pure functions: what `lbctl status` prints, given
// what heartbeatd (lbha.v1.Ha) and proxyd (lbha.v1.Proxy) answered.
//
// Kept apart from the RPCs so the table and the JSON are golden-tested from
// fixed messages (tests/cli/golden/), and `--watch` only re-renders.
#pragma once

#include <optional>
#include <string>

#include "lbha/v1/config.pb.h"
#include "lbha/v1/ha.pb.h"
#include "lbha/v1/proxy.pb.h"

namespace lbha::cli {

// One read of the node. A daemon that did not answer leaves its message unset
// and says why in its *_error ("lbha-proxyd did not answer on /run/lbha/proxyd.sock: ...").
struct overview {
  std::optional<v1::HaStatus> ha;
  std::string ha_error;
  std::optional<v1::ProxyStatus> proxy;
  std::string proxy_error;
  // cluster.yaml, when readable: the protocol and persistence of each service
  // (proxyd's status carries counters and health, not settings).
  std::optional<v1::ClusterConfig> config;
  // Problems found on this node beside the daemons' answers (a transparent
  // service without its policy routing, cli/transparent_routing.hpp).
  std::vector<std::string> warnings;
};

// "ACTIVE", "PASSIVE", "INIT", "FAULT" ("UNKNOWN" for anything else).
std::string role_name(v1::Role role);

// "443", "80,8000-8010".
std::string ports_text(const google::protobuf::RepeatedPtrField<v1::PortRange>& ports);

// A virtual service's health: "up" when every primary real server that may
// take clients (online, weight > 0) is healthy, "degraded" when some are,
// "on backup" when none is but a backup (failover mode) is, else "down".
std::string service_health(const v1::VirtualServiceStatus& service);

// A real server's state column: "halt", "drain", else "up" or "down" by its check.
std::string server_state(const v1::RealServerStatus& server);

// The human table. `color` adds ANSI colours and status symbols (TTY only).
std::string render_overview_text(const overview& view, bool color);

// Why this node holds the VIPs or not, when the pair is not whole (the peer
// lost, or this node in fault): "the peer is silent on every heartbeat path
// but still answers for the VIPs on the LAN: ...". Empty while the peer is
// alive and this node is not in fault, and for a standalone node. Both
// renderings print it as a `why:` line under the peer.
std::string role_reason(const v1::HaStatus& ha);

// `lbctl ha status`: every field of heartbeatd's status, one per line.
std::string render_ha_text(const v1::HaStatus& ha);

// The --json document, the stable schema scripts read:
//   {"schema": "lbha.status.v1",
//    "ha": <lbha.v1.HaStatus> | null,       "ha_error": "" | why,
//    "proxy": <lbha.v1.ProxyStatus> | null, "proxy_error": "" | why}
// Messages are printed by protobuf's JSON printer with proto field names and
// every field present (zeros included), so keys never come and go.
std::string render_overview_json(const overview& view);

}  // namespace lbha::cli
