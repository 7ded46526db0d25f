// Reading the System Overview from the local daemons: what `lbctl status`
// shows and lbha-webd's System Overview page renders, gathered one way for both.
#pragma once

#include "cli/context.hpp"
#include "cli/status_view.hpp"

namespace lbha::cli {

// Asks heartbeatd (role, peer) and proxyd (services, real servers, health) at
// the same time, each with query_timeout, and reads cluster.yaml from
// context.config_dir. A daemon that did not answer leaves its message unset
// and says why in its *_error. Blocks for at most one query_timeout; writes
// nothing to the context's streams.
overview read_overview(const cli_context& context);

}  // namespace lbha::cli
