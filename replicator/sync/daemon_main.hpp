// lbha-syncd's command line and start-up: options, configs, the daemon,
// the gRPC status service and LIFO shutdown. main() is one call to this.
#pragma once

namespace lbha::sync {

int run_syncd(int argc, char** argv);

}  // namespace lbha::sync
