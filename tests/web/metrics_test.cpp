// /metrics rendered from fixed status messages: the whole page against a
// golden file, what a daemon that did not answer leaves, and the page as
// Prometheus's own checker sees it. Regenerate the golden file after an
// intended change: LBHA_UPDATE_GOLDEN=1 ./lbha_web_tests, then review the diff.
#include "web/metrics.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/build_tree.hpp"
#include "tests/support/golden.hpp"
#include "tests/web/promtool.hpp"

namespace lbha::web {
namespace {

const std::filesystem::path golden_dir =
    test_support::in_build_tree(LBHA_SOURCE_DIR) / "tests" / "web" / "golden";

v1::RealServerStatus server(const char* label, std::uint32_t weight, v1::RealServerState state,
                            bool healthy, std::uint64_t conns, bool backup = false) {
  v1::RealServerStatus s;
  s.set_label(label);
  s.set_ip("192.0.2.21");
  s.set_port(443);
  s.set_weight(weight);
  s.set_state(state);
  s.set_healthy(healthy);
  s.set_current_connections(conns);
  s.set_total_connections(conns * 10);
  s.set_bytes_in(conns * 1000);
  s.set_bytes_out(conns * 50000);
  s.set_backup(backup);
  return s;
}

// The seed's deployment on lb1, the active primary: IIS_VIP with both real
// servers up; DA_VIP with DA1 halted and DA2 failing its check, so its
// fallback server serves; WEB_VIP on its backup; every daemon answering.
node_read seed_read() {
  node_read read;
  v1::HaStatus ha;
  ha.set_node_name("lb1");
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_term(4);
  ha.set_peer_alive(true);
  ha.set_peer_role(v1::ROLE_PASSIVE);
  ha.set_last_heartbeat_age_ms(42);
  for (const char* address : {"198.51.100.2", "203.0.113.2"}) {
    auto* path = ha.add_paths();
    path->set_address(address);
    path->set_alive(address[0] == '1');
    path->set_last_heard_ms(address[0] == '1' ? 42 : -1);
  }
  ha.set_ping_configured(true);
  ha.set_ping_ok(true);
  ha.set_proxy_ready(true);
  ha.set_vips_held(true);
  ha.set_config_generation(7);
  ha.set_sent(18446744073709551615u);  // exact past 2^53
  ha.set_received(998);
  (*ha.mutable_dropped())["stale"] = 3;
  (*ha.mutable_dropped())["bad_hmac"] = 2;
  (*ha.mutable_link_dropped())["arp_budget"] = 1;
  ha.set_takeovers(2);
  ha.mutable_last_takeover()->set_outage_ms(1180);
  ha.set_conflicts(1);
  ha.mutable_alert_hooks()->set_started(4);
  ha.mutable_alert_hooks()->set_failed(1);
  ha.mutable_notify_hooks()->set_started(2);
  read.overview.ha = ha;

  v1::ProxyStatus proxy;
  proxy.set_generation(7);
  proxy.set_stick_entries(12);
  auto* iis = proxy.add_virtual_services();
  iis->set_label("IIS_VIP");
  iis->set_current_connections(5);
  iis->set_total_connections(50);
  iis->set_bytes_in(5000);
  iis->set_bytes_out(250000);
  *iis->add_real_servers() = server("IIS1", 100, v1::REAL_SERVER_STATE_ONLINE, true, 3);
  *iis->add_real_servers() = server("IIS2", 100, v1::REAL_SERVER_STATE_DRAIN, true, 2);
  auto* da = proxy.add_virtual_services();
  da->set_label("DA_VIP");
  da->set_current_connections(1);
  da->set_total_connections(9);
  *da->add_real_servers() = server("DA1", 100, v1::REAL_SERVER_STATE_HALT, true, 0);
  *da->add_real_servers() = server("DA2", 50, v1::REAL_SERVER_STATE_ONLINE, false, 0);
  da->mutable_fallback()->set_current_connections(1);
  da->mutable_fallback()->set_total_connections(4);
  auto* web = proxy.add_virtual_services();
  web->set_label("WEB_VIP");
  *web->add_real_servers() = server("WEB1", 100, v1::REAL_SERVER_STATE_ONLINE, false, 0);
  *web->add_real_servers() = server("WEB2", 100, v1::REAL_SERVER_STATE_ONLINE, true, 1, true);
  proxy.mutable_alert_hooks()->set_started(3);
  read.overview.proxy = proxy;

  v1::SyncStatus sync;
  sync.set_paired(true);
  sync.set_proxy_connected(true);
  auto* peer = sync.add_peers();
  peer->set_name("lb2");
  peer->set_address("198.51.100.2");
  peer->set_connected(true);
  peer->set_updates_sent(120);
  peer->set_updates_received(80);
  auto* table = sync.add_tables();
  table->set_name("IIS_VIP");
  table->set_entries(12);
  sync.set_bytes_sent(4096);
  sync.set_bytes_received(2048);
  sync.set_refused_connections(3);
  sync.set_refused_unauthenticated(1);
  read.sync = sync;

  v1::ReplicationStatus replication;
  replication.set_paired(true);
  replication.set_role("primary");
  replication.set_local_node("lb1");
  replication.set_peer_node("lb2");
  replication.set_local_generation(7);
  replication.set_peer_generation(6);
  replication.set_local_term(2);
  replication.set_peer_reachable(true);
  replication.set_last_push_ok(false);
  replication.set_last_push_unix_ms(1796601600500);
  replication.mutable_alert_hooks()->set_started(1);
  read.replication = replication;

  v1::NodeConfig node;
  node.mutable_proxy()->set_stick_table_size(1000000);
  read.node = node;
  return read;
}

bool contains(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(metrics, seed_deployment_matches_the_golden_page) {
  test_support::expect_golden_in(golden_dir, "metrics.txt", render_metrics(seed_read()));
}

TEST(metrics, states_follow_lbctl_status) {
  const auto text = render_metrics(seed_read());
  EXPECT_TRUE(contains(text, "lbha_ha_role{role=\"active\"} 1\n"));
  EXPECT_TRUE(contains(text, "lbha_ha_role{role=\"passive\"} 0\n"));
  EXPECT_TRUE(contains(text, "lbha_ha_peer_role{role=\"passive\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "lbha_server_status{proxy=\"IIS_VIP\",server=\"IIS2\",state=\"drain\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "lbha_server_status{proxy=\"DA_VIP\",server=\"DA1\",state=\"halt\"} 1\n"));
  EXPECT_TRUE(
      contains(text, "lbha_server_status{proxy=\"DA_VIP\",server=\"DA2\",state=\"down\"} 1\n"));
  // A halted server that passes its check is still up by its check.
  EXPECT_TRUE(contains(text, "lbha_server_up{proxy=\"DA_VIP\",server=\"DA1\"} 1\n"));
  EXPECT_TRUE(contains(text, "lbha_backend_up{proxy=\"DA_VIP\"} 0\n"));
  EXPECT_TRUE(contains(text, "lbha_backend_status{proxy=\"WEB_VIP\",state=\"on_backup\"} 1\n"));
  EXPECT_TRUE(contains(text, "lbha_backend_up{proxy=\"WEB_VIP\"} 1\n"));
  // IIS2 is draining: up by its check, but it takes no new clients.
  EXPECT_TRUE(contains(text, "lbha_backend_active_servers{proxy=\"IIS_VIP\"} 1\n"));
  EXPECT_TRUE(contains(text, "lbha_backend_backup_servers{proxy=\"WEB_VIP\"} 1\n"));
  EXPECT_TRUE(contains(text, "lbha_replication_generation{node=\"lb1\"} 7\n"));
  EXPECT_TRUE(contains(text, "lbha_replication_generation{node=\"lb2\"} 6\n"));
  EXPECT_TRUE(contains(text, "lbha_ha_heartbeats_sent_total 18446744073709551615\n"));
  EXPECT_TRUE(contains(text, "lbha_replication_last_push_timestamp_seconds 1796601600.5\n"));
  // A path never heard from has no age; the newest heartbeat's is in seconds.
  EXPECT_TRUE(contains(text, "lbha_ha_last_heartbeat_age_seconds 0.042\n"));
}

TEST(metrics, every_family_has_help_and_a_type_and_appears_once) {
  const auto text = render_metrics(seed_read());
  std::size_t helps = 0;
  std::size_t types = 0;
  std::string last;
  for (std::size_t at = 0; (at = text.find("# HELP ", at)) != std::string::npos; ++at) {
    ++helps;
    const auto name = text.substr(at + 7, text.find(' ', at + 7) - at - 7);
    EXPECT_LT(last, name) << "families out of order or repeated: " << name;
    EXPECT_TRUE(contains(text, "# TYPE " + name + " ")) << name;
    last = name;
  }
  for (std::size_t at = 0; (at = text.find("# TYPE ", at)) != std::string::npos; ++at) ++types;
  EXPECT_EQ(helps, types);
  EXPECT_GT(helps, 40u);
}

TEST(metrics, a_daemon_that_did_not_answer_is_down_and_contributes_nothing_else) {
  auto read = seed_read();
  read.sync.reset();
  read.sync_error = "lbha-syncd did not answer on /run/lbha/syncd.sock: timed out";
  const auto text = render_metrics(read);
  EXPECT_TRUE(contains(text, "lbha_daemon_up{daemon=\"syncd\"} 0\n"));
  EXPECT_TRUE(contains(text, "lbha_daemon_up{daemon=\"proxyd\"} 1\n"));
  EXPECT_FALSE(contains(text, "lbha_sync_"));
  EXPECT_FALSE(contains(text, "daemon=\"syncd\",hooks="));

  read.overview.proxy.reset();
  const auto without_proxy = render_metrics(read);
  EXPECT_TRUE(contains(without_proxy, "lbha_daemon_up{daemon=\"proxyd\"} 0\n"));
  for (const char* family : {"lbha_backend_", "lbha_server_", "lbha_fallback_", "lbha_sticktable_",
                             "_generation{daemon=\"proxyd\"", "daemon=\"proxyd\",hooks="}) {
    EXPECT_FALSE(contains(without_proxy, family)) << family;
  }
  EXPECT_TRUE(contains(without_proxy, "lbha_ha_role{"));
}

TEST(metrics, nothing_answering_leaves_only_the_four_daemons_down) {
  EXPECT_EQ(render_metrics(node_read{}),
            "# HELP lbha_daemon_up 1 when the daemon answered its status request on "
            "<run-dir>/<daemon>.sock in time, 0 when it did not (its other metrics are then "
            "absent)\n"
            "# TYPE lbha_daemon_up gauge\n"
            "lbha_daemon_up{daemon=\"heartbeatd\"} 0\n"
            "lbha_daemon_up{daemon=\"proxyd\"} 0\n"
            "lbha_daemon_up{daemon=\"syncd\"} 0\n"
            "lbha_daemon_up{daemon=\"replicatord\"} 0\n");
}

TEST(metrics, a_standalone_node_reports_no_peer) {
  node_read read;
  v1::HaStatus ha;
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_standalone(true);
  read.overview.ha = ha;
  v1::ReplicationStatus replication;
  replication.set_local_node("lb1");
  replication.set_local_generation(3);
  read.replication = replication;
  const auto text = render_metrics(read);
  EXPECT_TRUE(contains(text, "lbha_ha_standalone 1\n"));
  EXPECT_FALSE(contains(text, "lbha_ha_peer_"));
  EXPECT_FALSE(contains(text, "lbha_ha_path_up"));
  EXPECT_FALSE(contains(text, "lbha_ha_ping_up"));  // no ping node configured
  EXPECT_FALSE(contains(text, "lbha_replication_role"));
  EXPECT_FALSE(contains(text, "lbha_replication_last_push"));
  EXPECT_TRUE(contains(text, "lbha_replication_generation{node=\"lb1\"} 3\n"));
}

TEST(metrics, the_golden_page_passes_promtool_check_metrics) {
  const auto checked = test_doubles::promtool_check(render_metrics(seed_read()));
  if (!checked) {
    GTEST_SKIP() << "promtool not found (Debian package prometheus; scripts/install-deps "
                    "installs it): the page was not checked by Prometheus's own linter";
  }
  EXPECT_EQ(checked->status, 0) << checked->output;
  EXPECT_EQ(checked->output, "");
}

}  // namespace
}  // namespace lbha::web
