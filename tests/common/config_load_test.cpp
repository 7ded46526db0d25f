// Good configs: the seed's deployment, defaults, round trips, node.yaml.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <thread>

#include "common/config/config.hpp"
#include "common/config/values.hpp"

namespace lbha::config {
namespace {

using google::protobuf::util::MessageDifferencer;

// The seed's deployment (IIS and DA services) on lab addresses.
constexpr const char* seed_cluster = R"(generation: 7
term: 3
ha:
  interval: 100ms
  deadtime: 1s
virtual_services:
  - label: IIS_VIP
    ip: 192.0.2.10
    ports: 443
    persistence: {mode: source_ip, timeout: 30m}
    check: {type: connect}
    real_servers:
      - {label: IIS1, ip: 192.0.2.21}
      - {label: IIS2, ip: 192.0.2.22}
  - label: DA_VIP
    ip: 192.0.2.11
    ports: 9001
    persistence: {mode: none}
    timeouts: {client: 5m, server: 5m}
    real_servers:
      - label: DA1
        ip: 192.0.2.31
      - label: DA2
        ip: 192.0.2.32
)";

v1::ClusterConfig load_ok(const char* yaml) {
  auto result = parse_cluster_config(yaml, "cluster.yaml");
  if (!result) {
    ADD_FAILURE() << result.error().message();
    return {};
  }
  return result.value();
}

TEST(config_load, seed_deployment) {
  const auto config = load_ok(seed_cluster);
  EXPECT_EQ(config.generation(), 7u);
  EXPECT_EQ(config.term(), 3u);
  ASSERT_EQ(config.virtual_services_size(), 2);

  const auto& iis = config.virtual_services(0);
  EXPECT_EQ(iis.label(), "IIS_VIP");
  EXPECT_EQ(iis.ip(), "192.0.2.10");
  ASSERT_EQ(iis.ports_size(), 1);
  EXPECT_EQ(iis.ports(0).first(), 443u);
  EXPECT_EQ(iis.ports(0).last(), 443u);
  EXPECT_EQ(iis.persistence().mode(), v1::Persistence::MODE_SOURCE_IP);
  EXPECT_EQ(iis.persistence().timeout_s(), 1800u);
  EXPECT_EQ(iis.check().type(), v1::HealthCheck::TYPE_CONNECT);
  ASSERT_EQ(iis.real_servers_size(), 2);
  EXPECT_EQ(iis.real_servers(0).label(), "IIS1");
  EXPECT_EQ(iis.real_servers(1).ip(), "192.0.2.22");

  const auto& da = config.virtual_services(1);
  EXPECT_EQ(da.label(), "DA_VIP");
  EXPECT_EQ(da.ports(0).first(), 9001u);
  EXPECT_EQ(da.persistence().mode(), v1::Persistence::MODE_NONE);
  EXPECT_EQ(da.timeouts().client_ms(), 300'000u);
  EXPECT_EQ(da.timeouts().server_ms(), 300'000u);
  EXPECT_EQ(da.timeouts().connect_ms(), 4000u);
  EXPECT_EQ(da.real_servers(1).label(), "DA2");
}

TEST(config_load, defaults_fill_every_documented_value) {
  const auto config = load_ok(
      "virtual_services:\n  - {label: A, ip: 192.0.2.10, ports: 80,"
      " real_servers: [{label: R, ip: 192.0.2.21}]}\n");
  const auto& ha = config.ha();
  EXPECT_EQ(ha.interval_ms(), 100u);
  EXPECT_EQ(ha.deadtime_ms(), 1000u);
  EXPECT_EQ(ha.warntime_ms(), 500u);
  EXPECT_EQ(ha.initdead_ms(), 3000u);
  EXPECT_FALSE(ha.auto_failback());
  EXPECT_EQ(ha.garp().mode(), v1::GarpPolicy::MODE_REQUEST);
  EXPECT_EQ(ha.garp().count(), 3u);
  EXPECT_EQ(ha.garp().interval_ms(), 10u);
  EXPECT_EQ(ha.garp().second_burst_delay_ms(), 1000u);
  EXPECT_EQ(ha.garp().refresh_interval_ms(), 0u);
  EXPECT_TRUE(ha.arp_probe().enabled());
  EXPECT_EQ(ha.arp_probe().timeout_ms(), 30u);
  EXPECT_EQ(ha.arp_probe().count(), 2u);
  const auto& vs = config.virtual_services(0);
  EXPECT_EQ(vs.protocol(), v1::PROTOCOL_TCP);
  EXPECT_EQ(vs.balance(), v1::BALANCE_LEASTCONN);
  EXPECT_EQ(vs.persistence().mode(), v1::Persistence::MODE_NONE);
  EXPECT_EQ(vs.persistence().timeout_s(), 1800u);
  EXPECT_EQ(vs.check().type(), v1::HealthCheck::TYPE_CONNECT);
  EXPECT_EQ(vs.check().path(), "");
  EXPECT_EQ(vs.check().interval_ms(), 2000u);
  EXPECT_EQ(vs.check().timeout_ms(), 1000u);
  EXPECT_EQ(vs.check().rise(), 2u);
  EXPECT_EQ(vs.check().fall(), 3u);
  EXPECT_EQ(vs.timeouts().client_ms(), 50000u);
  EXPECT_EQ(vs.timeouts().server_ms(), 50000u);
  EXPECT_EQ(vs.timeouts().connect_ms(), 4000u);
  EXPECT_FALSE(vs.has_fallback());
  EXPECT_EQ(vs.real_servers(0).weight(), 100u);
  EXPECT_EQ(vs.real_servers(0).port(), 0u);
  EXPECT_EQ(vs.real_servers(0).state(), v1::REAL_SERVER_STATE_ONLINE);
}

TEST(config_load, explicit_zeros_that_mean_something_are_kept) {
  const auto config = load_ok(
      "ha:\n  garp: {second_burst_delay: 0}\n  arp_probe: {enabled: false}\n"
      "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
      "    real_servers: [{label: R, ip: 192.0.2.21, weight: 0, state: drain}]\n");
  EXPECT_EQ(config.ha().garp().second_burst_delay_ms(), 0u);
  EXPECT_FALSE(config.ha().arp_probe().enabled());
  EXPECT_EQ(config.virtual_services(0).real_servers(0).weight(), 0u);
  EXPECT_EQ(config.virtual_services(0).real_servers(0).state(), v1::REAL_SERVER_STATE_DRAIN);
}

TEST(config_load, defaults_bend_to_a_longer_deadtime) {
  const auto config = load_ok("ha:\n  interval: 1s\n  deadtime: 5s\n");
  EXPECT_EQ(config.ha().warntime_ms(), 500u);
  EXPECT_EQ(config.ha().initdead_ms(), 5000u);
}

TEST(config_load, every_ports_spelling) {
  const auto config = load_ok(
      "virtual_services:\n"
      "  - {label: A, ip: 192.0.2.10, ports: 443}\n"
      "  - {label: B, ip: 192.0.2.11, ports: [443, 8080]}\n"
      "  - {label: C, ip: 192.0.2.12, ports: [\"8000-8010\", 443]}\n"
      "  - {label: D, ip: 192.0.2.13, ports: \"80, 443,9000-9001\"}\n");
  const auto ranges = [&](int i) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const auto& r : config.virtual_services(i).ports()) out.emplace_back(r.first(), r.last());
    return out;
  };
  using v = std::vector<std::pair<uint32_t, uint32_t>>;
  EXPECT_EQ(ranges(0), (v{{443, 443}}));
  EXPECT_EQ(ranges(1), (v{{443, 443}, {8080, 8080}}));
  EXPECT_EQ(ranges(2), (v{{8000, 8010}, {443, 443}}));
  EXPECT_EQ(ranges(3), (v{{80, 80}, {443, 443}, {9000, 9001}}));
}

TEST(config_load, durations_accept_units_and_bare_milliseconds) {
  const auto config = load_ok(
      "ha: {interval: 250, deadtime: 2s, warntime: 1500ms, initdead: 1h}\n"
      "virtual_services:\n"
      "  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
      "    persistence: {mode: source_ip, timeout: 90000}\n"
      "    timeouts: {client: 5m, server: 1h, connect: 4s}\n");
  EXPECT_EQ(config.ha().interval_ms(), 250u);
  EXPECT_EQ(config.ha().deadtime_ms(), 2000u);
  EXPECT_EQ(config.ha().warntime_ms(), 1500u);
  EXPECT_EQ(config.ha().initdead_ms(), 3'600'000u);
  const auto& vs = config.virtual_services(0);
  EXPECT_EQ(vs.persistence().timeout_s(), 90u);  // bare integers are milliseconds
  EXPECT_EQ(vs.timeouts().client_ms(), 300'000u);
  EXPECT_EQ(vs.timeouts().server_ms(), 3'600'000u);
}

TEST(config_load, ipv6_virtual_service_with_http_check_and_fallback) {
  const auto config = load_ok(
      "virtual_services:\n"
      "  - label: WEB6\n    ip: \"2001:db8::10\"\n    ports: 80\n    balance: roundrobin\n"
      "    check: {type: http, path: /health, expect: OK, interval: 5s, rise: 1, fall: 2}\n"
      "    fallback: {ip: \"2001:db8::50\", port: 8080}\n"
      "    real_servers: [{label: W1, ip: \"2001:db8::21\", port: 8080, weight: 256}]\n");
  const auto& vs = config.virtual_services(0);
  EXPECT_EQ(vs.balance(), v1::BALANCE_ROUNDROBIN);
  EXPECT_EQ(vs.check().type(), v1::HealthCheck::TYPE_HTTP);
  EXPECT_EQ(vs.check().path(), "/health");
  EXPECT_EQ(vs.check().expect(), "OK");
  EXPECT_EQ(vs.check().interval_ms(), 5000u);
  EXPECT_EQ(vs.check().timeout_ms(), 1000u);
  EXPECT_EQ(vs.fallback().ip(), "2001:db8::50");
  EXPECT_EQ(vs.fallback().port(), 8080u);
  EXPECT_EQ(vs.real_servers(0).weight(), 256u);
}

TEST(config_load, transparent_defaults_to_off_and_is_read_for_ipv4_and_ipv6) {
  const auto config = load_ok(
      "virtual_services:\n"
      "  - {label: PLAIN, ip: 192.0.2.10, ports: 80}\n"
      "  - label: T4\n    ip: 192.0.2.11\n    ports: 80\n    transparent: true\n"
      "    fallback: {ip: \"2001:db8::50\", port: 8080}\n"
      "    real_servers: [{label: W1, ip: 198.51.100.21}]\n"
      "  - label: T6\n    ip: \"2001:db8::10\"\n    ports: 80\n    transparent: yes\n"
      "    real_servers: [{label: W1, ip: \"2001:db8::21\"}]\n");
  EXPECT_FALSE(config.virtual_services(0).transparent());
  EXPECT_TRUE(config.virtual_services(1).transparent());
  EXPECT_TRUE(config.virtual_services(2).transparent());
  // Written only when on, and read back the same.
  const std::string yaml = to_yaml(config);
  EXPECT_EQ(yaml.find("transparent: false"), std::string::npos) << yaml;
  auto again = parse_cluster_config(yaml, "round-trip.yaml");
  ASSERT_TRUE(again) << again.error().message() << "\n" << yaml;
  EXPECT_FALSE(again.value().virtual_services(0).transparent());
  EXPECT_TRUE(again.value().virtual_services(1).transparent());
  EXPECT_TRUE(again.value().virtual_services(2).transparent());
}

TEST(config_load, http_check_path_defaults_to_slash) {
  const auto config = load_ok(
      "virtual_services:\n  - {label: A, ip: 192.0.2.10, ports: 80, check: {type: http}}\n");
  EXPECT_EQ(config.virtual_services(0).check().path(), "/");
}

TEST(config_load, empty_cluster_file_is_all_defaults) {
  const auto config = load_ok("");
  EXPECT_EQ(config.virtual_services_size(), 0);
  EXPECT_EQ(config.ha().deadtime_ms(), 1000u);
}

TEST(config_round_trip, cluster_to_yaml_parses_back_equal) {
  auto config = load_ok(seed_cluster);
  auto& vs = *config.mutable_virtual_services(1);
  vs.mutable_fallback()->set_ip("192.0.2.50");
  vs.mutable_fallback()->set_port(80);
  vs.mutable_check()->set_type(v1::HealthCheck::TYPE_HTTP);
  vs.mutable_check()->set_path("/status");
  vs.mutable_check()->set_expect("null");  // must come back as a string, not a YAML null
  auto& range = *vs.add_ports();
  range.set_first(9100);
  range.set_last(9110);
  vs.mutable_real_servers(0)->set_weight(0);
  vs.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_HALT);
  config.mutable_virtual_services(0)->set_transparent(true);
  config.mutable_ha()->mutable_garp()->set_second_burst_delay_ms(0);
  config.mutable_ha()->mutable_arp_probe()->set_enabled(false);
  ASSERT_TRUE(validate(config).empty());

  const std::string yaml = to_yaml(config);
  auto again = parse_cluster_config(yaml, "round-trip.yaml");
  ASSERT_TRUE(again) << again.error().message() << "\n" << yaml;
  std::string diff;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&diff);
  EXPECT_TRUE(differencer.Compare(config, again.value())) << diff << "\n" << yaml;
  EXPECT_EQ(to_yaml(again.value()), yaml);
}

TEST(config_defaults, cluster_apply_defaults_is_idempotent) {
  v1::ClusterConfig config;
  auto& vs = *config.add_virtual_services();
  vs.set_label("A");
  vs.set_ip("192.0.2.10");
  vs.add_real_servers()->set_label("R");
  apply_defaults(config);
  // In code, a real server that never saw defaults gets weight 100.
  EXPECT_EQ(vs.real_servers(0).weight(), 100u);
  EXPECT_EQ(config.ha().garp().second_burst_delay_ms(), 1000u);
  EXPECT_TRUE(config.ha().arp_probe().enabled());
  const v1::ClusterConfig once = config;
  // Once defaulted, meaningful zeros survive another pass.
  config.mutable_virtual_services(0)->mutable_real_servers(0)->set_weight(0);
  config.mutable_ha()->mutable_garp()->set_second_burst_delay_ms(0);
  config.mutable_ha()->mutable_arp_probe()->set_enabled(false);
  const v1::ClusterConfig zeros = config;
  apply_defaults(config);
  EXPECT_TRUE(MessageDifferencer::Equals(config, zeros));
  v1::ClusterConfig twice = once;
  apply_defaults(twice);
  EXPECT_TRUE(MessageDifferencer::Equals(twice, once));
}

TEST(config_defaults, loaded_config_is_a_fixed_point) {
  auto config = load_ok(seed_cluster);
  const v1::ClusterConfig loaded = config;
  apply_defaults(config);
  EXPECT_TRUE(MessageDifferencer::Equals(config, loaded));
}

constexpr const char* full_node = R"(node_name: lb1
interface: eth0
local_addresses: [192.0.2.1]
peer_addresses: [192.0.2.2, "2001:db8::2"]
priority: 200
ping_nodes:
  - 192.0.2.254
  - {address: 192.0.2.253, method: tcp, port: 80}
directories:
  config_dir: /tmp/lab/lb1/etc
  state_dir: /tmp/lab/lb1/state
  run_dir: /tmp/lab/lb1/run
ports: {heartbeat: 16694, sync: 17778, ssh: 2222}
ssh:
  user: lbuser
  authorized_keys: /tmp/lab/lb1/authorized_keys
proxy: {threads: 2, stick_table_size: 5000, source_address: 192.0.2.1}
notify: {on_active: /usr/local/bin/notify-active}
alerts:
  hooks: [/usr/share/lbha/examples/lbha-alert-mail, /usr/local/bin/page-me]
  timeout: 30s
  queue_limit: 20
web:
  https_listen: "[::]:8443"
  http_redirect: true
  http_listen: 192.0.2.1:8080
  metrics_listen: 192.0.2.1:9101
  certificate: /tmp/lab/lb1/web/cert.pem
  key: /tmp/lab/lb1/web/key.pem
  session_idle: 30m
  snmp_agentx: /var/agentx/master
log_level: debug
)";

TEST(config_node, loads_every_key) {
  auto result = parse_node_config(full_node, "node.yaml");
  ASSERT_TRUE(result) << result.error().message();
  const auto& node = result.value();
  EXPECT_EQ(node.node_name(), "lb1");
  EXPECT_EQ(node.interface(), "eth0");
  ASSERT_EQ(node.peer_addresses_size(), 2);
  EXPECT_EQ(node.peer_addresses(1), "2001:db8::2");
  EXPECT_EQ(node.priority(), 200u);
  ASSERT_EQ(node.ping_nodes_size(), 2);
  EXPECT_EQ(node.ping_nodes(0).method(), v1::PingNode::METHOD_ICMP);
  EXPECT_EQ(node.ping_nodes(1).method(), v1::PingNode::METHOD_TCP);
  EXPECT_EQ(node.ping_nodes(1).port(), 80u);
  EXPECT_EQ(node.directories().run_dir(), "/tmp/lab/lb1/run");
  EXPECT_EQ(node.ports().heartbeat(), 16694u);
  EXPECT_EQ(node.ports().ssh(), 2222u);
  EXPECT_EQ(node.ssh().user(), "lbuser");
  EXPECT_EQ(node.ssh().receive_command(), "lbha-receive-config");
  EXPECT_EQ(node.proxy().threads(), 2u);
  EXPECT_EQ(node.proxy().stick_table_size(), 5000u);
  EXPECT_EQ(node.notify().on_active(), "/usr/local/bin/notify-active");
  ASSERT_EQ(node.alerts().hooks_size(), 2);
  EXPECT_EQ(node.alerts().hooks(1), "/usr/local/bin/page-me");
  EXPECT_EQ(node.alerts().timeout_ms(), 30'000u);
  EXPECT_EQ(node.alerts().queue_limit(), 20u);
  EXPECT_EQ(node.web().https_listen(), "[::]:8443");
  EXPECT_TRUE(node.web().http_redirect());
  EXPECT_EQ(node.web().http_listen(), "192.0.2.1:8080");
  EXPECT_EQ(node.web().metrics_listen(), "192.0.2.1:9101");
  EXPECT_EQ(node.web().certificate(), "/tmp/lab/lb1/web/cert.pem");
  EXPECT_EQ(node.web().key(), "/tmp/lab/lb1/web/key.pem");
  EXPECT_EQ(node.web().session_idle_ms(), 1'800'000u);
  EXPECT_EQ(node.web().snmp_agentx(), "/var/agentx/master");
  EXPECT_EQ(node.log_level(), "debug");
}

TEST(config_node, listen_addresses) {
  auto v4 = parse_listen_address("0.0.0.0:9443");
  ASSERT_TRUE(v4.value) << v4.error;
  EXPECT_EQ(v4.value->address, "0.0.0.0");
  EXPECT_EQ(v4.value->port, 9443u);
  auto v6 = parse_listen_address("[2001:db8::1]:80");
  ASSERT_TRUE(v6.value) << v6.error;
  EXPECT_EQ(v6.value->address, "2001:db8::1");
  EXPECT_EQ(v6.value->port, 80u);
  for (const char* bad : {"", "9443", "0.0.0.0", "0.0.0.0:", "0.0.0.0:65536", "::1:80",
                          "[192.0.2.1]:80", "host.example:443", "0.0.0.0:+1"}) {
    EXPECT_FALSE(parse_listen_address(bad).value) << bad;
  }
}

TEST(config_node, snmp_agentx_spellings) {
  for (const char* good :
       {"/var/agentx/master", "unix:/var/agentx/master", "tcp:127.0.0.1:705", "tcp:[::1]:705"}) {
    auto result = parse_node_config(
        std::string("node_name: lb1\ninterface: eth0\nweb:\n  snmp_agentx: \"") + good + "\"\n",
        "node.yaml");
    ASSERT_TRUE(result) << good << ": " << result.error().message();
    EXPECT_EQ(result.value().web().snmp_agentx(), good);
  }
}

TEST(config_node, minimal_node_gets_defaults) {
  auto result = parse_node_config("node_name: lb1\ninterface: eth0\n", "node.yaml");
  ASSERT_TRUE(result) << result.error().message();
  const auto& node = result.value();
  EXPECT_EQ(node.priority(), 100u);
  EXPECT_EQ(node.directories().config_dir(), "/etc/lbha");
  EXPECT_EQ(node.directories().state_dir(), "/var/lib/lbha");
  EXPECT_EQ(node.directories().run_dir(), "/run/lbha");
  EXPECT_EQ(node.ports().heartbeat(), 6694u);
  EXPECT_EQ(node.ports().sync(), 7778u);
  EXPECT_EQ(node.ports().ssh(), 22u);
  EXPECT_EQ(node.ssh().user(), "loadbalancer");
  EXPECT_EQ(node.ssh().receive_command(), "lbha-receive-config");
  EXPECT_TRUE(node.ssh().authorized_keys().ends_with("/.ssh/authorized_keys"));
  EXPECT_EQ(node.proxy().threads(), std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(node.proxy().stick_table_size(), 1'000'000u);
  EXPECT_EQ(node.alerts().hooks_size(), 0);
  EXPECT_EQ(node.alerts().timeout_ms(), 10'000u);
  EXPECT_EQ(node.alerts().queue_limit(), 100u);
  EXPECT_EQ(node.web().https_listen(), "0.0.0.0:9443");
  EXPECT_FALSE(node.web().http_redirect());
  EXPECT_EQ(node.web().http_listen(), "0.0.0.0:9080");
  EXPECT_EQ(node.web().metrics_listen(), "127.0.0.1:9101");
  EXPECT_EQ(node.web().certificate(), "/etc/lbha/web/cert.pem");
  EXPECT_EQ(node.web().key(), "/etc/lbha/web/key.pem");
  EXPECT_EQ(node.web().session_idle_ms(), 900'000u);
  EXPECT_EQ(node.web().snmp_agentx(), "") << "SNMP is off unless asked for";
  EXPECT_EQ(node.log_level(), "info");
}

TEST(config_node, round_trip_and_idempotent_defaults) {
  auto result = parse_node_config(full_node, "node.yaml");
  ASSERT_TRUE(result) << result.error().message();
  const std::string yaml = to_yaml(result.value());
  auto again = parse_node_config(yaml, "again.yaml");
  ASSERT_TRUE(again) << again.error().message() << "\n" << yaml;
  EXPECT_TRUE(MessageDifferencer::Equals(result.value(), again.value())) << yaml;
  v1::NodeConfig copy = again.value();
  apply_defaults(copy);
  EXPECT_TRUE(MessageDifferencer::Equals(copy, again.value()));
}

}  // namespace
}  // namespace lbha::config
