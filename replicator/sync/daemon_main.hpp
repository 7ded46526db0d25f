// lbha-syncd as the shared daemon runtime runs it: its flags, and the
// component that owns the link to proxyd (grpc_table_port), the syncd shell
// and the gRPC Sync service. main() is one call to run_daemon_main.
#pragma once

#include "common/daemon_runtime.hpp"

namespace lbha::sync {

daemon_spec syncd_spec();

}  // namespace lbha::sync
