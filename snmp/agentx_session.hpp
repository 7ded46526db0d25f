// agentx_session: the seam between lbha-webd and the SNMP master agent.
// netsnmp_agent.hpp is the implementation (net-snmp's AgentX subagent on a
// thread of its own); tests/snmp has a recording double.
//
// Both calls hand data over and return at once, from any thread: the
// implementation answers the master's GET and GETNEXT from the last
// published values, and sends the notifications in order on its own time.
#pragma once

#include <cstdint>
#include <memory>

#include "snmp/oid.hpp"

namespace lbha::snmp {

struct agentx_counters {
  bool connected = false;           // registered with the master now
  std::uint64_t traps_sent = 0;     // handed to the master (which sends them to its sinks)
  std::uint64_t traps_dropped = 0;  // not connected when they were due
};

class agentx_session {
 public:
  virtual ~agentx_session() = default;

  // The values the subagent answers with from now on, replacing the last.
  virtual void publish(std::shared_ptr<const oid_map> values) = 0;
  // A notification for the master to send to its trap sinks; dropped (and
  // counted) when not connected: a trap is news, not a queue to replay.
  virtual void notify(notification trap) = 0;
  virtual agentx_counters counters() const = 0;
};

}  // namespace lbha::snmp
