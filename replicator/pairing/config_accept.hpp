// Taking a config from the authority on this node: the one path a secondary's
// receiver (a push) and a node following the one that took over (a fetch)
// share. check_incoming against cluster.yaml's generation and term, the
// atomic write, the history entry, then the local daemons' reload. Nothing is
// written when the config is refused.
#pragma once

#include <string>

#include "lbha/v1/config.pb.h"
#include "replicator/pairing/errc.hpp"
#include "replicator/pairing/local_daemons.hpp"
#include "replicator/pairing/node_context.hpp"

namespace lbha::pairing {

// The reload's outcome once the config is stored; an error (refused, io)
// when it was not stored.
result<reload_outcome> accept_config(const node_context& node, local_daemons& daemons,
                                     const lbha::v1::ClusterConfig& incoming,
                                     const std::string& origin, const std::string& summary);

}  // namespace lbha::pairing
