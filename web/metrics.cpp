#include "web/metrics.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>

#include "cli/sync_counters.hpp"
#include "web/prometheus_text.hpp"

namespace lbha::web {
namespace {

constexpr auto counter = metric_type::counter;
constexpr auto gauge = metric_type::gauge;

// The exposition with lbha's two kinds of mistake told apart. Family names
// and label names are constants of this file: a bad one is a bug and
// crashes (reading a failed result terminates). Label values come from the
// daemons: two samples with one label set (two services with one label,
// which config validation forbids) keep the first, because one odd reply
// must not cost the whole page.
class page {
 public:
  void family(std::string_view name, metric_type type, std::string_view help) {
    exposition_.declare(name, type, help).value();
  }
  void sample(std::string_view name, const label_set& labels, sample_value value) {
    auto added = exposition_.add(name, labels, value);
    if (!added && added.error() == prometheus_errc::duplicate_sample) return;
    added.value();
  }
  void sample(std::string_view name, sample_value value) { sample(name, {}, value); }
  // HAProxy's state gauges: one sample per state, 1 for the current one, so
  // a query can select a state by label and the series never disappear.
  template <std::size_t N>
  void states(std::string_view name, label_set labels, const std::array<const char*, N>& all,
              std::string_view current, std::string_view label = "state") {
    labels.emplace_back(std::string(label), "");
    for (const char* state : all) {
      labels.back().second = state;
      sample(name, labels, std::int64_t{current == state ? 1 : 0});
    }
  }
  std::string text() const { return exposition_.text(); }

 private:
  exposition exposition_;
};

std::int64_t flag(bool value) { return value ? 1 : 0; }

void daemons(page& p, const node_read& read) {
  p.family("lbha_daemon_up", gauge,
           "1 when the daemon answered its status request on <run-dir>/<daemon>.sock in time, "
           "0 when it did not (its other metrics are then absent)");
  p.sample("lbha_daemon_up", {{"daemon", "heartbeatd"}}, flag(read.overview.ha.has_value()));
  p.sample("lbha_daemon_up", {{"daemon", "proxyd"}}, flag(read.overview.proxy.has_value()));
  p.sample("lbha_daemon_up", {{"daemon", "syncd"}}, flag(read.sync.has_value()));
  p.sample("lbha_daemon_up", {{"daemon", "replicatord"}}, flag(read.replication.has_value()));
  p.family("lbha_daemon_config_generation", gauge,
           "The cluster.yaml generation the daemon runs with (differs from "
           "lbha_replication_generation while a reload is pending or was refused)");
  p.family("lbha_hooks_started_total", counter,
           "Hook programs started since the daemon started (hooks: alert = node.yaml "
           "alerts.hooks, notify = heartbeatd's role hooks)");
  p.family("lbha_hooks_failed_total", counter,
           "Hook programs that exited non-zero, were killed at alerts.timeout or by a signal, "
           "or could not start");
  p.family("lbha_hooks_dropped_total", counter,
           "Hook events dropped because alerts.queue_limit events were already waiting");
}

void hooks(page& p, std::string_view daemon, std::string_view kind, const v1::HookCounters& c) {
  const label_set labels = {{"daemon", std::string(daemon)}, {"hooks", std::string(kind)}};
  p.sample("lbha_hooks_started_total", labels, c.started());
  p.sample("lbha_hooks_failed_total", labels, c.failed());
  p.sample("lbha_hooks_dropped_total", labels, c.dropped());
}

std::string_view role_word(v1::Role role) {
  switch (role) {
    case v1::ROLE_INIT:
      return "init";
    case v1::ROLE_PASSIVE:
      return "passive";
    case v1::ROLE_ACTIVE:
      return "active";
    case v1::ROLE_FAULT:
      return "fault";
    default:
      return "";
  }
}

constexpr std::array<const char*, 4> roles = {"init", "passive", "active", "fault"};

void ha(page& p, const v1::HaStatus& s) {
  p.family("lbha_ha_role", gauge, "This node's HA role: 1 for the current one");
  p.states("lbha_ha_role", {}, roles, role_word(s.role()), "role");
  p.family("lbha_ha_standalone", gauge,
           "1 when this node is not paired: no peer, active alone after initdead");
  p.sample("lbha_ha_standalone", flag(s.standalone()));
  p.family("lbha_ha_peer_up", gauge,
           "1 when the peer's heartbeats arrive on at least one path within deadtime "
           "(absent on a standalone node)");
  p.family("lbha_ha_peer_role", gauge,
           "The HA role the peer reports in its heartbeats: 1 for the current one "
           "(absent while the peer is silent)");
  p.family("lbha_ha_path_up", gauge,
           "1 when a heartbeat was accepted from this peer address within deadtime");
  p.family("lbha_ha_last_heartbeat_age_seconds", gauge,
           "Age of the newest heartbeat accepted from the peer on any path (absent until one "
           "was)");
  p.family("lbha_ha_peer_holds_vips_on_lan", gauge,
           "1 when the peer is silent but the last ARP probe of a VIP was answered: the heartbeat "
           "path is broken while the peer still serves, so this node stays passive (absent on a "
           "standalone node)");
  if (!s.standalone()) {
    p.sample("lbha_ha_peer_up", flag(s.peer_alive()));
    if (s.peer_alive()) p.states("lbha_ha_peer_role", {}, roles, role_word(s.peer_role()), "role");
    for (const auto& path : s.paths()) {
      p.sample("lbha_ha_path_up", {{"address", path.address()}}, flag(path.alive()));
    }
    p.sample("lbha_ha_peer_holds_vips_on_lan", flag(s.peer_holds_vips_on_lan()));
    if (s.last_heartbeat_age_ms() >= 0) {
      p.sample("lbha_ha_last_heartbeat_age_seconds", s.last_heartbeat_age_ms() / 1000.0);
    }
  }
  p.family("lbha_ha_term", gauge, "This node's term: incremented by every takeover, persisted");
  p.sample("lbha_ha_term", s.term());
  p.family("lbha_ha_vips_held", gauge, "1 when the VIPs are on this node's interface");
  p.sample("lbha_ha_vips_held", flag(s.vips_held()));
  p.family("lbha_ha_ping_up", gauge,
           "1 when this node's ping node(s) answer, after hysteresis (absent when none is "
           "configured)");
  if (s.ping_configured()) p.sample("lbha_ha_ping_up", flag(s.ping_ok()));
  p.family("lbha_ha_proxy_ready", gauge, "1 when the local lbha-proxyd answers Ready");
  p.sample("lbha_ha_proxy_ready", flag(s.proxy_ready()));
  p.family("lbha_ha_heartbeats_sent_total", counter,
           "Heartbeats sent, every peer address counted, since heartbeatd started");
  p.sample("lbha_ha_heartbeats_sent_total", s.sent());
  p.family("lbha_ha_heartbeats_received_total", counter,
           "Heartbeats accepted (authenticated, fresh, in order) since heartbeatd started");
  p.sample("lbha_ha_heartbeats_received_total", s.received());
  p.family("lbha_ha_heartbeats_dropped_total", counter,
           "Heartbeats dropped, never acted on, by reason (heartbeatd/README.md): bad_hmac, "
           "unknown_key, wrong_cluster, stale, replayed, unknown_source...");
  // A protobuf map iterates in no fixed order: sorted, so the page is stable.
  const std::map<std::string, std::uint64_t> dropped(s.dropped().begin(), s.dropped().end());
  for (const auto& [reason, count] : dropped) {
    p.sample("lbha_ha_heartbeats_dropped_total", {{"reason", reason}}, count);
  }
  p.family("lbha_ha_link_dropped_total", counter,
           "LAN frames (ARP, neighbour discovery, ping) dropped or deferred after the kernel's "
           "socket filter, and unproven ARP conflicts, by reason");
  const std::map<std::string, std::uint64_t> link(s.link_dropped().begin(), s.link_dropped().end());
  for (const auto& [reason, count] : link) {
    p.sample("lbha_ha_link_dropped_total", {{"reason", reason}}, count);
  }
  p.family("lbha_ha_takeovers_total", counter,
           "Times this node took the VIPs over since heartbeatd started (failovers to this node "
           "and make-active)");
  p.sample("lbha_ha_takeovers_total", s.takeovers());
  p.family("lbha_ha_last_takeover_outage_seconds", gauge,
           "The last takeover by this node: from the last heartbeat heard from the peer to this "
           "node adding the VIPs (absent before any, and after one at start-up)");
  if (s.has_last_takeover()) {
    p.sample("lbha_ha_last_takeover_outage_seconds", s.last_takeover().outage_ms() / 1000.0);
  }
  p.family("lbha_ha_vip_conflicts_total", counter,
           "ARP announcements for this node's VIPs from another MAC (a dual-active pair, "
           "resolved by term, priority, node id)");
  p.sample("lbha_ha_vip_conflicts_total", s.conflicts());
  p.sample("lbha_daemon_config_generation", {{"daemon", "heartbeatd"}}, s.config_generation());
  hooks(p, "heartbeatd", "alert", s.alert_hooks());
  hooks(p, "heartbeatd", "notify", s.notify_hooks());
}

// Whether a real server can take new clients now: what HAProxy counts in
// its backends' active_servers and backup_servers.
bool takes_clients(const v1::RealServerStatus& server) {
  return cli::server_state(server) == "up" && server.weight() > 0;
}

void proxy(page& p, const v1::ProxyStatus& s, const std::optional<v1::NodeConfig>& node) {
  p.family("lbha_backend_up", gauge,
           "1 when a real server of the virtual service (a backup one included) passes its "
           "check and may take clients, 0 when the service is down");
  p.family("lbha_backend_status", gauge,
           "The virtual service's health as lbctl status shows it: 1 for the current state "
           "(up: every serving real server healthy; degraded; on_backup; down)");
  p.family("lbha_backend_current_sessions", gauge, "Client connections open on the service");
  p.family("lbha_backend_sessions_total", counter, "Client connections the service accepted");
  p.family("lbha_backend_bytes_in_total", counter, "Bytes received from the service's clients");
  p.family("lbha_backend_bytes_out_total", counter, "Bytes sent to the service's clients");
  p.family("lbha_backend_active_servers", gauge,
           "Non-backup real servers that may take new clients: online, weight > 0, check passing");
  p.family("lbha_backend_backup_servers", gauge,
           "Backup real servers that may take new clients: online, weight > 0, check passing");
  p.family("lbha_fallback_current_sessions", gauge,
           "Client connections open to the service's fallback server (every real server down)");
  p.family("lbha_fallback_sessions_total", counter,
           "Client connections sent to the service's fallback server");
  p.family("lbha_server_up", gauge, "1 when the real server passes its health check");
  p.family("lbha_server_status", gauge,
           "The real server's state as lbctl status shows it: 1 for the current one (up and down "
           "by its check; drain and halt as set by lbctl drain|halt)");
  p.family("lbha_server_weight", gauge, "The real server's weight (0..256)");
  p.family("lbha_server_current_sessions", gauge, "Connections open to the real server");
  p.family("lbha_server_sessions_total", counter, "Connections sent to the real server");
  p.family("lbha_server_bytes_in_total", counter,
           "Bytes received from clients and sent on to the real server");
  p.family("lbha_server_bytes_out_total", counter,
           "Bytes received from the real server and sent on to clients");
  for (const auto& service : s.virtual_services()) {
    const label_set proxy_label = {{"proxy", service.label()}};
    const auto health = cli::service_health(service);
    p.sample("lbha_backend_up", proxy_label, flag(health != "down"));
    p.states("lbha_backend_status", proxy_label,
             std::array<const char*, 4>{"up", "degraded", "on_backup", "down"},
             health == "on backup" ? "on_backup" : health);
    p.sample("lbha_backend_current_sessions", proxy_label, service.current_connections());
    p.sample("lbha_backend_sessions_total", proxy_label, service.total_connections());
    p.sample("lbha_backend_bytes_in_total", proxy_label, service.bytes_in());
    p.sample("lbha_backend_bytes_out_total", proxy_label, service.bytes_out());
    std::int64_t active = 0;
    std::int64_t backup = 0;
    for (const auto& server : service.real_servers()) {
      if (takes_clients(server)) ++(server.backup() ? backup : active);
      label_set labels = {{"proxy", service.label()}, {"server", server.label()}};
      p.sample("lbha_server_up", labels, flag(server.healthy()));
      p.states("lbha_server_status", labels,
               std::array<const char*, 4>{"up", "down", "drain", "halt"},
               cli::server_state(server));
      p.sample("lbha_server_weight", labels, std::uint64_t{server.weight()});
      p.sample("lbha_server_current_sessions", labels, server.current_connections());
      p.sample("lbha_server_sessions_total", labels, server.total_connections());
      p.sample("lbha_server_bytes_in_total", labels, server.bytes_in());
      p.sample("lbha_server_bytes_out_total", labels, server.bytes_out());
    }
    p.sample("lbha_backend_active_servers", proxy_label, active);
    p.sample("lbha_backend_backup_servers", proxy_label, backup);
    if (service.has_fallback()) {
      p.sample("lbha_fallback_current_sessions", proxy_label,
               service.fallback().current_connections());
      p.sample("lbha_fallback_sessions_total", proxy_label, service.fallback().total_connections());
    }
  }
  p.family("lbha_sticktable_used", gauge,
           "Entries in proxyd's persistence (stick) table, every virtual service together");
  p.sample("lbha_sticktable_used", s.stick_entries());
  p.family("lbha_sticktable_size", gauge,
           "Entries the persistence table may hold (node.yaml proxy.stick_table_size)");
  if (node) p.sample("lbha_sticktable_size", node->proxy().stick_table_size());
  p.sample("lbha_daemon_config_generation", {{"daemon", "proxyd"}}, s.generation());
  hooks(p, "proxyd", "alert", s.alert_hooks());
}

void sync(page& p, const v1::SyncStatus& s) {
  p.family("lbha_sync_paired", gauge,
           "1 when pair.pem is loaded and the pair's sessions run over mutual TLS");
  p.sample("lbha_sync_paired", flag(s.paired()));
  p.family("lbha_sync_proxy_connected", gauge,
           "1 when syncd's table streams to the local proxyd are up");
  p.sample("lbha_sync_proxy_connected", flag(s.proxy_connected()));
  p.family("lbha_sync_resync_pending", gauge,
           "1 while syncd still waits to be taught the peer's whole table (after a start)");
  p.sample("lbha_sync_resync_pending", flag(s.resync_pending()));
  p.family("lbha_sync_peer_up", gauge,
           "1 when the peers-protocol session (TCP 7778) with this peer address is connected");
  p.family("lbha_sync_peer_updates_sent_total", counter, "Persistence entries sent to this peer");
  p.family("lbha_sync_peer_updates_received_total", counter,
           "Persistence entries received from this peer");
  for (const auto& peer : s.peers()) {
    const label_set labels = {{"address", peer.address()}};
    p.sample("lbha_sync_peer_up", labels, flag(peer.connected()));
    p.sample("lbha_sync_peer_updates_sent_total", labels, peer.updates_sent());
    p.sample("lbha_sync_peer_updates_received_total", labels, peer.updates_received());
  }
  p.family("lbha_sync_table_entries", gauge,
           "Entries in syncd's copy of a persistence table (table: the virtual service label)");
  for (const auto& table : s.tables()) {
    p.sample("lbha_sync_table_entries", {{"table", table.name()}}, table.entries());
  }
  p.family("lbha_sync_bytes_sent_total", counter, "Bytes sent on TCP 7778, every peer together");
  p.sample("lbha_sync_bytes_sent_total", s.bytes_sent());
  p.family("lbha_sync_bytes_received_total", counter,
           "Bytes received on TCP 7778, every peer together");
  p.sample("lbha_sync_bytes_received_total", s.bytes_received());
  p.family("lbha_sync_refused_total", counter,
           "What the peers port refused, dropped or deferred, by reason: lbctl sync status's "
           "\"refused\" line, named as in lbha.v1.SyncStatus (replicator/sync/README.md)");
  const auto refused = cli::sync_refused_counts(s);
  for (const auto& [reason, count] : refused) {
    p.sample("lbha_sync_refused_total", {{"reason", std::string(reason)}}, count);
  }
  hooks(p, "syncd", "alert", s.alert_hooks());
}

void replication(page& p, const v1::ReplicationStatus& s) {
  p.family("lbha_replication_paired", gauge, "1 when this node is paired with a peer");
  p.sample("lbha_replication_paired", flag(s.paired()));
  p.family("lbha_replication_role", gauge,
           "This node's part in config replication: 1 for the current one (absent when not "
           "paired)");
  if (s.paired()) {
    p.states("lbha_replication_role", {}, std::array<const char*, 2>{"primary", "secondary"},
             s.role(), "role");
  }
  p.family("lbha_replication_generation", gauge,
           "The committed cluster.yaml generation on each node: this node's, and the peer's as "
           "it last reported it (absent until it has)");
  p.sample("lbha_replication_generation", {{"node", s.local_node()}}, s.local_generation());
  if (s.paired() && s.peer_generation() != 0) {
    p.sample("lbha_replication_generation", {{"node", s.peer_node()}}, s.peer_generation());
  }
  p.family("lbha_replication_term", gauge,
           "This node's config term: raised by a take-over of the config authority");
  p.sample("lbha_replication_term", s.local_term());
  p.family("lbha_replication_peer_reachable", gauge,
           "1 when the last SSH exchange with the peer succeeded (absent when not paired)");
  if (s.paired()) p.sample("lbha_replication_peer_reachable", flag(s.peer_reachable()));
  p.family("lbha_replication_last_push_success", gauge,
           "1 when the last config push to the peer succeeded (absent until one was made)");
  p.family("lbha_replication_last_push_timestamp_seconds", gauge,
           "When the last config push to the peer was made, Unix time");
  if (s.last_push_unix_ms() != 0) {
    p.sample("lbha_replication_last_push_success", flag(s.last_push_ok()));
    p.sample("lbha_replication_last_push_timestamp_seconds", s.last_push_unix_ms() / 1000.0);
  }
  hooks(p, "replicatord", "alert", s.alert_hooks());
}

}  // namespace

std::string render_metrics(const node_read& read) {
  page p;
  daemons(p, read);
  if (read.overview.ha) ha(p, *read.overview.ha);
  if (read.overview.proxy) proxy(p, *read.overview.proxy, read.node);
  if (read.sync) sync(p, *read.sync);
  if (read.replication) replication(p, *read.replication);
  return p.text();
}

}  // namespace lbha::web
