// netsnmp_agent: lbha's AgentX subagent over net-snmp (Debian's libsnmp),
// registered under LBHA-MIB's root with the master agent (snmpd) at
// node.yaml web.snmp_agentx.
//
// net-snmp keeps global state and is not thread-safe, so every net-snmp
// call happens on one thread this class owns, and only one agent may run in
// a process at a time. Other threads hand work over: publish() swaps a
// shared_ptr under a mutex (the handler copies it once per request, so a
// walk's PDU sees one snapshot), notify() queues, and both wake the thread
// through an eventfd it watches beside its AgentX socket.
//
// Lifecycle: start() runs net-snmp's start-up on the thread and waits for
// it; the master need not be there yet. The subagent pings the master every
// 2 s (AgentX ping interval) and, when snmpd went away or was never there,
// tries again at that interval and registers afresh, so an snmpd restart
// costs at most a few seconds of answers. stop() (and the destructor) ends
// the thread after unregistering. Traps due while not connected are dropped
// and counted; the master's GETs are answered from the last snapshot.
#pragma once

#include <memory>
#include <string>

#include "common/result.hpp"
#include "snmp/agentx_session.hpp"

namespace lbha::snmp {

class netsnmp_agent final : public agentx_session {
 public:
  // `master`: snmpd's agentXSocket (a path, unix:PATH or tcp:ADDRESS:PORT).
  explicit netsnmp_agent(std::string master);
  ~netsnmp_agent() override;
  netsnmp_agent(const netsnmp_agent&) = delete;
  netsnmp_agent& operator=(const netsnmp_agent&) = delete;

  // Fails when another agent runs in this process or net-snmp's start-up
  // does; not when the master is absent.
  result<void> start();
  void stop();

  void publish(std::shared_ptr<const oid_map> values) override;
  void notify(notification trap) override;
  agentx_counters counters() const override;

  struct state;  // shared with net-snmp's callbacks (netsnmp_agent.cpp)

 private:
  std::unique_ptr<state> state_;
};

}  // namespace lbha::snmp
