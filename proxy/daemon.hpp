// lbha-proxyd as the shared daemon runtime runs it (common/daemon_runtime):
// its flags and the component that owns the engine and the gRPC service.
//
// Threads: the runtime's io thread is the control loop (health checks,
// stick-table sweep, signals); the engine's workers run the data plane; gRPC
// has its own threads. Stopping: the service's table streams end first, then
// the gRPC server drains, then the engine closes its listeners and
// connections and joins its workers.
#pragma once

#include "common/daemon_runtime.hpp"
#include "proxy/worker.hpp"

namespace lbha::proxy {

// The daemon with its --worker-scheduling flag (default batch).
daemon_spec proxyd_spec();

// The daemon with a fixed scheduling policy and no flag of its own (tests).
daemon_spec proxyd_spec(worker_scheduling scheduling);

}  // namespace lbha::proxy
