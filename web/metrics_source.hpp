// One read of the node for /metrics: every local daemon's GetStatus over its
// Unix socket, as lbctl asks them (cli/status_read.hpp), plus node.yaml.
//
// The four daemons are asked at the same time, each within lbctl's
// query_timeout (500 ms), so a scrape takes one deadline at worst even when
// daemons hang, and a daemon that does not answer is reported (its *_error,
// lbha_daemon_up 0) rather than failing the scrape. Blocking: lbha-webd calls
// it off its io_context, one scrape at a time.
#pragma once

#include "cli/context.hpp"
#include "web/metrics.hpp"

namespace lbha::web {

// Reads the sockets in context.run_dir, cluster.yaml in context.config_dir
// and context.node_config.
node_read read_node(const cli::cli_context& context);

}  // namespace lbha::web
