// What lbha-syncd's peers port refused, dropped or deferred, by reason, named
// as in lbha.v1.SyncStatus: the one list `lbctl sync status` ("refused:") and
// lbha-webd's /metrics (lbha_sync_refused_total{reason}) both show.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "lbha/v1/sync.pb.h"

namespace lbha::cli {

// Every reason with its count (zeros included), in lbha.v1.SyncStatus's order.
std::vector<std::pair<std::string_view, std::uint64_t>> sync_refused_counts(
    const v1::SyncStatus& s);

}  // namespace lbha::cli
