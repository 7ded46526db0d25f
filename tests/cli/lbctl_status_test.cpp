// The System Overview rendered from fixed messages, against golden files.
// Regenerate after an intended change: LBHA_UPDATE_GOLDEN=1 ./lbha_cli_tests
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "cli/app.hpp"
#include "cli/status_view.hpp"
#include "common/atomic_file.hpp"
#include "tests/cli/golden.hpp"

namespace lbha::cli {
namespace {

v1::RealServerStatus server(const char* label, const char* ip, uint32_t port, uint32_t weight,
                            v1::RealServerState state, bool healthy, uint64_t conns) {
  v1::RealServerStatus s;
  s.set_label(label);
  s.set_ip(ip);
  s.set_port(port);
  s.set_weight(weight);
  s.set_state(state);
  s.set_healthy(healthy);
  s.set_current_connections(conns);
  s.set_total_connections(conns * 10);
  s.set_last_check(healthy ? "L4OK" : "L4CON refused");
  return s;
}

// The seed's deployment: IIS_VIP :443 (source-IP persistence), DA_VIP :9001
// with DA1 halted and DA2 failing its check, so its fallback server serves.
overview seed_overview() {
  overview view;
  v1::HaStatus ha;
  ha.set_node_name("lb1");
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_term(4);
  ha.set_priority(150);
  ha.set_peer_alive(true);
  ha.set_peer_role(v1::ROLE_PASSIVE);
  ha.set_node_id(1);
  ha.set_peer_node_id(2);
  ha.set_peer_term(4);
  ha.set_peer_priority(100);
  ha.set_last_heartbeat_age_ms(42);
  auto* path = ha.add_paths();
  path->set_address("198.51.100.2");
  path->set_alive(true);
  path->set_last_heard_ms(42);
  ha.set_proxy_ready(true);
  ha.set_peer_proxy_ready(true);
  ha.add_vips("192.0.2.100");
  ha.add_vips("192.0.2.101");
  ha.set_vips_held(true);
  ha.set_config_generation(7);
  ha.set_peer_config_generation(7);
  ha.set_interface("eth0");
  ha.set_sent(1000);
  ha.set_received(998);
  (*ha.mutable_dropped())["bad_mac"] = 2;
  view.ha = ha;

  v1::ProxyStatus proxy;
  proxy.set_generation(7);
  auto* iis = proxy.add_virtual_services();
  iis->set_label("IIS_VIP");
  iis->set_ip("192.0.2.100");
  auto* p443 = iis->add_ports();
  p443->set_first(443);
  p443->set_last(443);
  iis->set_current_connections(5);
  *iis->add_real_servers() =
      server("IIS1", "192.0.2.21", 443, 100, v1::REAL_SERVER_STATE_ONLINE, true, 3);
  *iis->add_real_servers() =
      server("IIS2", "192.0.2.22", 443, 100, v1::REAL_SERVER_STATE_ONLINE, true, 2);
  auto* da = proxy.add_virtual_services();
  da->set_label("DA_VIP");
  da->set_ip("192.0.2.101");
  auto* p9001 = da->add_ports();
  p9001->set_first(9001);
  p9001->set_last(9001);
  *da->add_real_servers() =
      server("DA1", "192.0.2.31", 9001, 100, v1::REAL_SERVER_STATE_HALT, true, 0);
  *da->add_real_servers() =
      server("DA2", "192.0.2.32", 0, 50, v1::REAL_SERVER_STATE_ONLINE, false, 0);
  // Nothing serves DA_VIP: its fallback server takes the clients.
  *da->mutable_fallback() =
      server("fallback", "192.0.2.40", 8080, 0, v1::REAL_SERVER_STATE_ONLINE, true, 1);
  view.proxy = proxy;

  v1::ClusterConfig config;
  auto* iis_config = config.add_virtual_services();
  iis_config->set_label("IIS_VIP");
  iis_config->set_protocol(v1::PROTOCOL_TCP);
  iis_config->mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  auto* da_config = config.add_virtual_services();
  da_config->set_label("DA_VIP");
  da_config->set_protocol(v1::PROTOCOL_TCP);
  da_config->mutable_persistence()->set_mode(v1::Persistence::MODE_NONE);
  view.config = config;
  return view;
}

TEST(lbctl_status, table_matches_golden) {
  expect_golden("status.txt", render_overview_text(seed_overview(), false));
}

TEST(lbctl_status, colour_table_matches_golden) {
  expect_golden("status_color.txt", render_overview_text(seed_overview(), true));
}

TEST(lbctl_status, json_matches_golden) {
  expect_golden("status.json", render_overview_json(seed_overview()));
}

TEST(lbctl_status, proxy_unreachable_matches_golden) {
  auto view = seed_overview();
  view.proxy.reset();
  view.proxy_error = "lbha-proxyd did not answer on /run/lbha/proxyd.sock: timed out";
  expect_golden("status_no_proxy.txt", render_overview_text(view, false));
  expect_golden("status_no_proxy.json", render_overview_json(view));
}

TEST(lbctl_status, ha_status_matches_golden) {
  expect_golden("ha_status.txt", render_ha_text(*seed_overview().ha));
}

TEST(lbctl_status, ha_status_gives_the_last_takeovers_outage) {
  auto ha = *seed_overview().ha;
  EXPECT_EQ(render_ha_text(ha).find("after the peer's last heartbeat"), std::string::npos);
  ha.set_takeovers(3);
  ha.mutable_last_takeover()->set_outage_ms(1180);
  EXPECT_NE(render_ha_text(ha).find(
                "takeovers:       3 (the last 1180 ms after the peer's last heartbeat), ARP"),
            std::string::npos)
      << render_ha_text(ha);
}

TEST(lbctl_status, failed_or_dropped_hooks_are_named_per_daemon) {
  auto view = seed_overview();
  view.ha->mutable_alert_hooks()->set_started(5);
  view.ha->mutable_alert_hooks()->set_failed(1);
  view.ha->mutable_notify_hooks()->set_failed(1);
  view.proxy->mutable_alert_hooks()->set_started(9);
  view.proxy->mutable_alert_hooks()->set_dropped(4);
  const auto text = render_overview_text(view, false);
  EXPECT_NE(text.find("hooks: heartbeatd's: 2 failed, 0 events dropped (see its log)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hooks: proxyd's: 0 failed, 4 events dropped (see its log)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(render_ha_text(*view.ha).find(
                "hooks:           alerts 5 run, 1 failed, 0 dropped; notify 0 run, 1 failed, 0 "
                "dropped\n"),
            std::string::npos);
  // Hooks that all succeeded are no news: the table stays as it was.
  EXPECT_EQ(render_overview_text(seed_overview(), false).find("hooks:"), std::string::npos);
}

TEST(lbctl_status, a_transparent_service_shows_in_the_protocol_column_with_its_warnings) {
  auto view = seed_overview();
  view.config->mutable_virtual_services(1)->set_transparent(true);
  view.proxy->mutable_virtual_services(1)->set_transparent_failures(3);
  view.warnings.push_back("transparent DA_VIP: no policy routing");
  const auto text = render_overview_text(view, false);
  EXPECT_NE(text.find("warning: transparent DA_VIP: no policy routing\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("warning: DA_VIP: 3 clients closed, their transparent connection was "
                      "refused (proxyd's log says why)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  tcp transparent  none "), std::string::npos) << text;
  const auto json = render_overview_json(view);
  EXPECT_NE(json.find("\"warnings\": [\"transparent DA_VIP: no policy routing\"]"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"transparent_failures\": \"3\""), std::string::npos) << json;
}

// A lost peer: each node says why it holds the VIPs or not (issue 15, item 7).
TEST(lbctl_status, a_lost_peer_says_why_this_node_stays_active_or_passive) {
  auto ha = *seed_overview().ha;
  EXPECT_EQ(role_reason(ha), "") << "a whole pair needs no reason";
  ha.set_peer_alive(false);
  EXPECT_NE(role_reason(ha).find("silent on every heartbeat path, so this node keeps the VIPs"),
            std::string::npos)
      << role_reason(ha);
  ha.set_role(v1::ROLE_PASSIVE);
  ha.set_peer_holds_vips_on_lan(true);
  const auto passive = role_reason(ha);
  EXPECT_NE(passive.find("heartbeat path is broken"), std::string::npos) << passive;
  EXPECT_NE(passive.find("stays passive"), std::string::npos) << passive;
  EXPECT_NE(render_ha_text(ha).find("why:             " + passive), std::string::npos);
  overview view = seed_overview();
  view.ha = ha;
  EXPECT_NE(render_overview_text(view, false).find("why: " + passive), std::string::npos);
  ha.set_role(v1::ROLE_FAULT);
  EXPECT_NE(role_reason(ha).find("ping node(s) do not answer"), std::string::npos);
}

TEST(lbctl_status, service_health_counts_only_serving_servers) {
  auto view = seed_overview();
  const auto& services = view.proxy->virtual_services();
  EXPECT_EQ(service_health(services[0]), "up");
  // DA1 halted (not serving), DA2 failing: nothing serves.
  EXPECT_EQ(service_health(services[1]), "down");
  auto da = services[1];
  da.mutable_real_servers(1)->set_healthy(true);
  EXPECT_EQ(service_health(da), "up");
  da.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_ONLINE);
  da.mutable_real_servers(0)->set_healthy(false);
  EXPECT_EQ(service_health(da), "degraded");
  EXPECT_EQ(server_state(da.real_servers(0)), "down");
  da.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_DRAIN);
  EXPECT_EQ(server_state(da.real_servers(0)), "drain");
}

TEST(lbctl_status, a_service_whose_primaries_are_down_is_on_backup_and_says_which_is_the_backup) {
  auto view = seed_overview();
  auto& da = *view.proxy->mutable_virtual_services(1);
  // DA1 a failing primary, DA2 a healthy backup: the backup serves.
  da.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_ONLINE);
  da.mutable_real_servers(0)->set_healthy(false);
  da.mutable_real_servers(1)->set_healthy(true);
  da.mutable_real_servers(1)->set_backup(true);
  EXPECT_EQ(service_health(da), "on backup");
  const auto text = render_overview_text(view, false);
  EXPECT_NE(text.find("  DA2 (backup)"), std::string::npos) << text;
  EXPECT_NE(text.find("on backup"), std::string::npos) << text;
  // The primary back: the service is up, whatever the backup does.
  da.mutable_real_servers(0)->set_healthy(true);
  da.mutable_real_servers(1)->set_healthy(false);
  EXPECT_EQ(service_health(da), "up");
  // Neither: down.
  da.mutable_real_servers(0)->set_healthy(false);
  EXPECT_EQ(service_health(da), "down");
}

std::pair<int, std::string> run(std::vector<const char*> args, std::string* err = nullptr) {
  args.insert(args.begin(), "lbctl");
  std::ostringstream out, error;
  const int code = run_lbctl(static_cast<int>(args.size()), args.data(), out, error);
  if (err) *err = error.str();
  return {code, out.str()};
}

TEST(lbctl_status, no_daemons_is_unreachable_and_fast) {
  const auto dir = std::filesystem::temp_directory_path() / "lbctl_status_test_empty";
  std::filesystem::create_directories(dir);
  std::string err;
  const auto start = std::chrono::steady_clock::now();
  auto [code, out] = run({"status", "--run-dir", dir.c_str(), "--config-dir", dir.c_str()}, &err);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(code, 3);
  EXPECT_NE(out.find("heartbeatd: unreachable: lbha-heartbeatd did not answer on " +
                     (dir / "heartbeatd.sock").string()),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("proxyd: unreachable: lbha-proxyd did not answer on"), std::string::npos);
  // < 100 ms on an idle node; the bound here leaves room for a loaded CI machine
  // while still catching a hang on the 80 ms deadlines or a blocking connect.
  EXPECT_LT(took, std::chrono::milliseconds(400));
  auto [json_code, json] =
      run({"status", "--json", "--run-dir", dir.c_str(), "--config-dir", dir.c_str()});
  EXPECT_EQ(json_code, 3);
  EXPECT_NE(json.find("\"proxy\": null"), std::string::npos) << json;
}

TEST(lbctl_status, usage_errors_exit_2) {
  EXPECT_EQ(run({"halt", "DA_VIP"}).first, 2);
  EXPECT_EQ(run({"reload", "everything"}).first, 2);
}

}  // namespace
}  // namespace lbha::cli
