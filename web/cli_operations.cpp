#include "web/cli_operations.hpp"

#include <sstream>

#include "cli/status_read.hpp"

namespace lbha::web {

cli::overview cli_operations::read_overview() { return cli::read_overview(paths_); }

node_operations::outcome cli_operations::set_real_server_state(
    const cli::server_state_change& change) {
  // A context of its own per call: calls may run on several worker threads.
  std::istringstream in;
  std::ostringstream out;
  std::ostringstream err;
  cli::cli_context context = paths_;
  context.in = &in;
  context.out = &out;
  context.err = &err;
  context.exit_code = cli::exit_code::ok;
  cli::set_real_server_state(change, context);
  return {context.exit_code == cli::exit_code::ok, out.str() + err.str()};
}

}  // namespace lbha::web
