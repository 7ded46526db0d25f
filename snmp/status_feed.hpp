// status_feed: what lbha-webd does with each periodic read of the node for
// SNMP: publish LBHA-MIB's values to the subagent, and a notification for
// each change since the last known status (trap_events.hpp). The first read
// only publishes.
//
// No I/O of its own: webd's timer reads the node on its worker pool and
// calls on_read with the result, one read at a time (webd.cpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "snmp/agentx_session.hpp"
#include "snmp/node_status.hpp"
#include "web/metrics.hpp"

namespace lbha::snmp {

class status_feed {
 public:
  explicit status_feed(agentx_session& session) : session_(session) {}

  void on_read(const web::node_read& read);

  // Reads published (lbha.v1.Web.GetStatus snmp_snapshots); any thread.
  std::uint64_t snapshots() const { return snapshots_.load(); }

 private:
  agentx_session& session_;
  std::optional<node_status> known_;
  std::atomic<std::uint64_t> snapshots_{0};
};

}  // namespace lbha::snmp
