// lbha-webd as the shared daemon runtime runs it (common/daemon_runtime):
// its component owns the WebUI's listeners (HTTPS, and the HTTP redirect
// when node.yaml web.http_redirect is on), the /metrics listener (plain
// HTTP on web.metrics_listen, metrics_endpoint.hpp), the TLS context, the
// app (pages, sessions, log-in) and the worker pool for PAM and the
// daemons' gRPC calls (the pages' and the scrapes').
//
// Start (as root, before --user drops it): make the self-signed certificate
// if web.certificate and web.key are both absent, load them, bind the
// listeners. Reload (SIGHUP): the node's name and web.session_idle; the
// listen addresses and the certificate take a restart (the key is root's
// 0600 file, unreadable once --user has dropped root). Stop: the listeners
// close and end their connections; a request waiting on a worker (a commit
// through replicatord) is let finish, so run() returns once it has.
// Its gRPC service lbha.v1.Web (web_service.hpp) on <run-dir>/webd.sock
// answers GetStatus (listeners, sessions, log-in, change, scrape and SNMP
// counters) and Reload.
//
// With node.yaml web.snmp_agentx set, it also runs the SNMP AgentX subagent
// (snmp/netsnmp_agent.hpp, its own thread) from start to stop, and every 2 s
// reads the node on the worker pool and feeds LBHA-MIB's values and traps to
// it (snmp/status_feed.hpp).
#pragma once

#include "common/daemon_runtime.hpp"

namespace lbha::web {

daemon_spec webd_spec();

}  // namespace lbha::web
