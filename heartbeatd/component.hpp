// lbha-heartbeatd as the shared daemon runtime runs it (common/daemon_runtime):
// its flags (--key-file, --cluster-id, --node-id, --realtime-priority) and
// the component that owns heartbeat_daemon and the gRPC Ha service.
#pragma once

#include "common/daemon_runtime.hpp"

namespace lbha::heartbeat {

daemon_spec heartbeatd_spec();

}  // namespace lbha::heartbeat
