// From lbha's configuration to sync_node's settings.
//
// Tables: one per virtual service with source-IP persistence, named after
// the service, keyed by IPv4 or IPv6 (the VIP's family), expiring after the
// persistence timeout, with the real servers' labels in order (server_id is
// the 1-based index). Peers: the pair partner at every NodeConfig peer
// address on ports.sync (known by address, any name), plus extra named peers
// such as a real HAProxy ("NAME=ADDRESS:PORT").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "lbha/v1/config.pb.h"
#include "replicator/sync/sync_node.hpp"

namespace lbha::sync {

std::vector<table_config> tables_from(const lbha::v1::ClusterConfig& cluster);

node_settings settings_from(const lbha::v1::NodeConfig& node,
                            const lbha::v1::ClusterConfig& cluster,
                            const std::vector<peer_config>& extra_peers);

// Parses "NAME=ADDRESS:PORT" ("[v6]:PORT" for IPv6); false when malformed.
bool parse_peer_spec(std::string_view spec, peer_config& out);

}  // namespace lbha::sync
