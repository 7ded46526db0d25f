// `lbctl replication status` and `lbctl sync status` as pure functions of the
// daemons' messages: what lbctl prints, and what the WebUI's High
// Availability page shows beside `lbctl ha status` (status_view.hpp).
#pragma once

#include <string>

#include "lbha/v1/replication.pb.h"
#include "lbha/v1/sync.pb.h"

namespace lbha::cli {

std::string render_replication_text(const v1::ReplicationStatus& status);
std::string render_sync_text(const v1::SyncStatus& s);

}  // namespace lbha::cli
