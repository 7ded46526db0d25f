// What `lbctl --json` says on a product node, as the daemons' own messages:
// the operator's view of the pair, for tests that compare roles, real
// servers' states or counters. A failed or unparsable answer gives an empty
// message (role unspecified, no services), which no expectation matches.
#pragma once

#include "lbha/v1/ha.pb.h"
#include "lbha/v1/proxy.pb.h"
#include "lbha/v1/sync.pb.h"
#include "tests/product/product.hpp"

namespace lbha::lab {

// heartbeatd's status on node i, from `lbctl --json status`.
v1::HaStatus ha_of(const product_lab& p, int i);
// proxyd's status on node i, from the same.
v1::ProxyStatus proxy_of(const product_lab& p, int i);
// syncd's status on node i, from `lbctl --json sync status`.
v1::SyncStatus sync_of(const product_lab& p, int i);
// Both nodes agree: 1 or 2 is ACTIVE, the other PASSIVE, no make-active
// pending; 0 otherwise.
int settled_owner(const product_lab& p);

}  // namespace lbha::lab
