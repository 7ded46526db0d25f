// node_operations: what the WebUI asks of this node, behind one seam.
//
// lbha-webd uses cli_operations, which calls lbctl's own library (the same
// gathering `lbctl status` does, the same path `lbctl drain|halt|online`
// takes), so a change made in the browser commits, replicates and fails
// exactly as it would from lbctl. Tests use a double with fixed status
// messages. Both calls block on gRPC: call them off the io thread.
#pragma once

#include <string>

#include "cli/server_state.hpp"
#include "cli/status_view.hpp"

namespace lbha::web {

class node_operations {
 public:
  virtual ~node_operations() = default;

  virtual cli::overview read_overview() = 0;

  struct outcome {
    bool ok = false;
    std::string message;  // what lbctl would have printed (stdout, then stderr)
  };
  virtual outcome set_real_server_state(const cli::server_state_change& change) = 0;
};

}  // namespace lbha::web
