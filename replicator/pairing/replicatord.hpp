// lbha-replicatord as the shared daemon runtime runs it (its flags and the
// component owning the replicator, the heartbeat watch and the gRPC
// Replication service), and lbha-receive-config's entry point.
#pragma once

#include "common/daemon_runtime.hpp"

namespace lbha::pairing {

daemon_spec replicatord_spec();

// lbha-receive-config: the forced command on the secondary. Reads one framed
// request on stdin, prints one reply line; exit status 0 only when applied.
int receive_config_main(int argc, char** argv);

}  // namespace lbha::pairing
