// Drain, halt or bring online one real server: what `lbctl drain|halt|online`
// does and lbha-webd's System Overview buttons call, so both behave alike.
//
// Two steps:
//  1. at run time on this node: Proxy.SetRealServerState, no reload, so the
//     change takes effect at once (drain: no new clients; halt: connections closed);
//  2. persisted: the real server's `state` in cluster.yaml is changed and
//     committed through replicatord (generation + 1), so it survives a reload
//     or restart and reaches the peer. An operator who halts a server expects
//     it halted on both nodes, whichever one is active after a failover.
// runtime_only skips step 2 (a quick local test; the next reload undoes it).
#pragma once

#include <string>

#include "cli/context.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha::cli {

struct server_state_change {
  std::string service;  // virtual service label
  std::string server;   // real server label
  v1::RealServerState state = v1::REAL_SERVER_STATE_ONLINE;
  bool runtime_only = false;
};

// "drain", "halt", "online".
const char* state_word(v1::RealServerState state);

// Blocks until proxyd answered and, unless runtime_only, replicatord committed
// (up to commit_timeout). Reports as lbctl does: progress on context.out,
// one line per failure on context.err, and context.exit_code (0 done; 1
// unknown label, refused or not committed everywhere; 3 a daemon unreachable).
void set_real_server_state(const server_state_change& change, cli_context& context);

}  // namespace lbha::cli
