// Bad configs: every case asserts the exact key path and 1-based line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "common/config/config.hpp"

namespace lbha::config {
namespace {

struct bad_case {
  const char* name;
  bool node;  // node.yaml rather than cluster.yaml
  const char* yaml;
  const char* key;
  int line;
  const char* message;  // substring of the message
};

std::ostream& operator<<(std::ostream& out, const bad_case& c) { return out << c.name; }

// A node.yaml that is valid on its own, for the node cases to break one key of.
#define NODE_HEAD "node_name: lb1\ninterface: eth0\n"

const bad_case cases[] = {
    {"unknown_top_level_key", false, "generation: 1\nvirtual_servics: []\n", "virtual_servics", 2,
     "unknown key 'virtual_servics' (did you mean 'virtual_services'?)"},
    {"unknown_virtual_service_key", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    colour: red\n",
     "virtual_services[0].colour", 5, "unknown key 'colour'"},
    {"unknown_ha_key", false, "ha:\n  interval: 100ms\n  dead_time: 1s\n", "ha.dead_time", 3,
     "did you mean 'deadtime'?"},
    {"weight_is_a_string", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n        ip: 192.0.2.21\n        weight: heavy\n",
     "virtual_services[0].real_servers[0].weight", 8, "expected a whole number, got 'heavy'"},
    {"real_servers_is_a_map", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    real_servers: {label: R1}\n",
     "virtual_services[0].real_servers", 5, "expected a list, got a map"},
    {"ha_is_a_list", false, "ha: [1, 2]\n", "ha", 1, "expected a map of keys, got a list"},
    {"missing_label", false, "virtual_services:\n  - ip: 192.0.2.10\n    ports: 80\n",
     "virtual_services[0].label", 2, "required key is missing"},
    {"missing_ip", false, "virtual_services:\n  - label: A\n    ports: 80\n",
     "virtual_services[0].ip", 2, "required key is missing"},
    {"missing_ports", false, "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n",
     "virtual_services[0].ports", 2, "at least one port is required"},
    {"missing_real_server_ip", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n",
     "virtual_services[0].real_servers[0].ip", 6, "required key is missing"},
    {"bad_ipv4", false, "virtual_services:\n  - label: A\n    ip: 192.0.2.300\n    ports: 80\n",
     "virtual_services[0].ip", 3, "not an IPv4 or IPv6 address: '192.0.2.300'"},
    {"bad_ipv6", false,
     "virtual_services:\n  - label: A\n    ip: \"2001:db8::zz\"\n    ports: 80\n",
     "virtual_services[0].ip", 3, "not an IPv4 or IPv6 address"},
    {"unspecified_vip", false, "virtual_services:\n  - label: A\n    ip: 0.0.0.0\n    ports: 80\n",
     "virtual_services[0].ip", 3, "must be a specific address"},
    {"bad_label_characters", false,
     "virtual_services:\n  - label: my vip\n    ip: 192.0.2.10\n    ports: 80\n",
     "virtual_services[0].label", 2, "may contain only"},
    {"port_out_of_range", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 70000\n",
     "virtual_services[0].ports[0]", 4, "port 70000 is out of range 1..65535"},
    {"port_zero_in_list", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: [80, 0]\n",
     "virtual_services[0].ports[1]", 4, "port 0 is out of range"},
    {"reversed_port_range", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports:\n      - 443\n"
     "      - \"8000-7000\"\n",
     "virtual_services[0].ports[1]", 6, "bad port range 8000-7000"},
    {"garbage_in_comma_ports", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: \"80,abc\"\n",
     "virtual_services[0].ports[1]", 4,
     "expected a port (443) or a port range (8000-8010), got 'abc'"},
    {"ports_is_a_map", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: {http: 80}\n",
     "virtual_services[0].ports", 4, "expected a port, a list of ports"},
    {"ports_overlap_within_service", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: [\"8000-8010\", 8005]\n",
     "virtual_services[0].ports[1]", 4, "overlaps ports[0]"},
    {"duplicate_virtual_service_label", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "  - label: A\n    ip: 192.0.2.11\n    ports: 80\n",
     "virtual_services[1].label", 5, "duplicate virtual service label 'A'"},
    {"duplicate_real_server_label", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - {label: R1, ip: 192.0.2.21}\n      - {label: R1, ip: 192.0.2.22}\n",
     "virtual_services[0].real_servers[1].label", 7, "duplicate real server label 'R1'"},
    {"duplicate_ip_port_across_services", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 443\n"
     "  - label: B\n    ip: 192.0.2.10\n    ports: [9001, \"440-450\"]\n",
     "virtual_services[1].ports[1]", 7,
     "192.0.2.10:443 is already used by virtual service 'A' (virtual_services[0])"},
    {"duplicate_ipv6_port_spelled_differently", false,
     "virtual_services:\n  - label: A\n    ip: \"2001:db8::1\"\n    ports: 443\n"
     "  - label: B\n    ip: \"2001:0db8:0:0::1\"\n    ports: 443\n",
     "virtual_services[1].ports[0]", 7, "is already used by virtual service 'A'"},
    {"weight_above_256", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n        ip: 192.0.2.21\n        weight: 257\n",
     "virtual_services[0].real_servers[0].weight", 8, "must be 0..256, got 257"},
    {"negative_weight", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n        ip: 192.0.2.21\n        weight: -5\n",
     "virtual_services[0].real_servers[0].weight", 8, "must not be negative"},
    {"negative_generation", false, "generation: -1\n", "generation", 1, "must not be negative"},
    {"real_server_port_out_of_range", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n        ip: 192.0.2.21\n        port: 65536\n",
     "virtual_services[0].real_servers[0].port", 8, "out of range 1..65535"},
    {"bad_balance", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    balance: random\n",
     "virtual_services[0].balance", 5, "expected one of leastconn|roundrobin|source, got 'random'"},
    {"bad_persistence_mode", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    persistence: {mode: cookie}\n",
     "virtual_services[0].persistence.mode", 5, "expected one of none|source_ip"},
    {"bad_check_type", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      type: ping\n",
     "virtual_services[0].check.type", 6, "expected one of connect|http|https|external|none"},
    {"bad_expect_status", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 443\n    check:\n"
     "      type: https\n      expect_status: 2xx\n",
     "virtual_services[0].check.expect_status", 7, "expected a status code (200) or a range"},
    {"ca_file_not_absolute", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 443\n    check:\n"
     "      type: https\n      verify: true\n      ca_file: iis-ca.pem\n",
     "virtual_services[0].check.ca_file", 8, "must be an absolute path"},
    {"verify_on_an_http_check", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      type: http\n      verify: true\n",
     "virtual_services[0].check.verify", 7, "is only used by checks of type https"},
    {"external_check_without_an_absolute_command", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      type: external\n      command: [check-iis, --deep]\n",
     "virtual_services[0].check.command", 7,
     "needs a command whose first item is an absolute path"},
    {"bad_real_server_state", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    real_servers:\n"
     "      - label: R1\n        ip: 192.0.2.21\n        state: offline\n",
     "virtual_services[0].real_servers[0].state", 8, "expected one of online|drain|halt"},
    {"bad_garp_mode", false, "ha:\n  garp:\n    mode: broadcast\n", "ha.garp.mode", 3,
     "expected one of request|reply"},
    {"bad_protocol", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    protocol: udp\n",
     "virtual_services[0].protocol", 5, "expected one of tcp, got 'udp'"},
    {"bad_duration", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      interval: 2 seconds\n",
     "virtual_services[0].check.interval", 6, "expected a duration"},
    {"persistence_timeout_not_whole_seconds", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    persistence: {mode: source_ip, timeout: 1500ms}\n",
     "virtual_services[0].persistence.timeout", 5, "must be whole seconds"},
    {"deadtime_not_above_twice_interval", false, "ha:\n  interval: 500ms\n  deadtime: 1s\n",
     "ha.deadtime", 3, "must be more than 2 x interval (1s), got 1s"},
    {"warntime_not_below_deadtime", false, "ha:\n  deadtime: 1s\n  warntime: 1s\n", "ha.warntime",
     3, "must be less than deadtime (1s), got 1s"},
    {"initdead_below_deadtime", false, "ha:\n  deadtime: 5s\n  initdead: 4s\n", "ha.initdead", 3,
     "must be at least deadtime (5s), got 4s"},
    {"check_timeout_above_interval", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    check: {interval: 1s, timeout: 2s}\n",
     "virtual_services[0].check.timeout", 5, "must not exceed the check interval (1s), got 2s"},
    {"rise_zero", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      rise: 0\n",
     "virtual_services[0].check.rise", 6, "must be at least 1"},
    {"fall_zero", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      fall: 0\n",
     "virtual_services[0].check.fall", 6, "must be at least 1"},
    {"http_check_without_path", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      type: http\n      path: \"\"\n",
     "virtual_services[0].check.path", 7, "an http check needs a path starting with '/'"},
    {"path_on_connect_check", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      path: /health\n",
     "virtual_services[0].check.path", 6, "is only used by checks of type http"},
    {"persistence_timeout_zero", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    persistence:\n"
     "      mode: source_ip\n      timeout: 0\n",
     "virtual_services[0].persistence.timeout", 7, "must be greater than 0 with mode source_ip"},
    {"transparent_not_a_boolean", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    transparent: maybe\n",
     "virtual_services[0].transparent", 5, "expected true or false"},
    {"transparent_with_send_proxy", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    send_proxy: v2\n"
     "    transparent: true\n",
     "virtual_services[0].transparent", 6, "cannot be combined with send_proxy"},
    {"transparent_real_server_of_the_other_family", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    transparent: true\n"
     "    real_servers:\n      - {label: R1, ip: 192.0.2.21}\n"
     "      - {label: R2, ip: \"2001:db8::22\"}\n",
     "virtual_services[0].real_servers[1].ip", 8,
     "a transparent service's real servers must be IPv4 like its VIP 192.0.2.10"},
    {"fallback_bad_ip", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    fallback: {ip: sorry-server, port: 80}\n",
     "virtual_services[0].fallback.ip", 5, "not an IPv4 or IPv6 address: 'sorry-server'"},
    {"fallback_bad_port", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    fallback:\n"
     "      ip: 192.0.2.50\n      port: 99999\n",
     "virtual_services[0].fallback.port", 7, "out of range 1..65535"},
    {"client_timeout_zero", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
     "    timeouts: {client: 0}\n",
     "virtual_services[0].timeouts.client", 5, "must be greater than 0"},
    {"duplicate_yaml_key", false, "generation: 1\ngeneration: 2\n", "generation", 2,
     "duplicate key 'generation'"},
    {"auto_failback_not_bool", false, "ha:\n  auto_failback: sometimes\n", "ha.auto_failback", 2,
     "expected true or false, got 'sometimes'"},
    {"yaml_syntax_error", false, "generation: 1\nha:\n  interval: [100ms\n  deadtime: 1s\n", "", 4,
     "YAML syntax error"},

    {"top_level_is_a_list", false, "- generation: 1\n", "", 1,
     "expected a map of keys, got a list"},
    {"virtual_service_is_a_word", false, "virtual_services:\n  - web\n", "virtual_services[0]", 2,
     "expected a map of keys, got 'web'"},
    {"check_port_out_of_range", false,
     "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n    check:\n"
     "      port: 65536\n",
     "virtual_services[0].check.port", 6, "port 65536 is out of range 1..65535"},
    {"generation_not_a_number", false, "generation: 1.5\n", "generation", 1,
     "expected a whole number, got '1.5'"},
    {"garp_count_zero", false, "ha:\n  garp:\n    count: 0\n", "ha.garp.count", 3,
     "must be at least 1"},
    // Bounds (issue 14): a config that validates keeps a takeover bounded.
    {"garp_count_in_the_billions", false, "ha:\n  garp:\n    count: 4000000000\n", "ha.garp.count",
     3, "must be 1..100, got 4000000000"},
    {"garp_interval_zero", false, "ha:\n  garp:\n    count: 100\n    interval: 0\n",
     "ha.garp.interval", 4, "must be 1ms..1s, got 0"},
    {"garp_interval_too_long", false, "ha:\n  garp:\n    interval: 5s\n", "ha.garp.interval", 3,
     "must be 1ms..1s, got 5s"},
    {"garp_refresh_flood", false, "ha:\n  garp:\n    refresh_interval: 1ms\n",
     "ha.garp.refresh_interval", 3, "must be 0 (off) or 100ms..1h, got 1ms"},
    {"garp_second_burst_too_late", false, "ha:\n  garp:\n    second_burst_delay: 2h\n",
     "ha.garp.second_burst_delay", 3, "must be 0 (off) or 1ms..1m, got 2h"},
    {"arp_probe_count_max_uint32", false, "ha:\n  arp_probe:\n    count: 4294967295\n",
     "ha.arp_probe.count", 3, "must be 1..10, got 4294967295"},
    {"arp_probe_timeout_not_below_deadtime", false,
     "ha:\n  deadtime: 1s\n  arp_probe:\n    timeout: 1s\n", "ha.arp_probe.timeout", 4,
     "must be less than deadtime (1s), got 1s"},
    {"ha_interval_zero", false, "ha:\n  interval: 0\n", "ha.interval", 2,
     "must be 1ms..10s, got 0"},
    {"ha_interval_too_long", false, "ha:\n  interval: 20s\n  deadtime: 1m\n  initdead: 1m\n",
     "ha.interval", 2, "must be 1ms..10s, got 20s"},
    {"deadtime_too_long", false, "ha:\n  deadtime: 6m\n  initdead: 6m\n", "ha.deadtime", 2,
     "must be at most 5m, got 6m"},
    {"initdead_too_long", false, "ha:\n  initdead: 2h\n", "ha.initdead", 2,
     "must be at most 1h, got 2h"},
    {"node_too_many_ping_nodes", true,
     NODE_HEAD "ping_nodes: [192.0.2.1, 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5, 192.0.2.6, "
               "192.0.2.7, 192.0.2.8, 192.0.2.9, 192.0.2.10, 192.0.2.11, 192.0.2.12, 192.0.2.13, "
               "192.0.2.14, 192.0.2.15, 192.0.2.16, 192.0.2.17]\n",
     "ping_nodes", 3, "at most 16 ping nodes, got 17"},
    {"node_missing_node_name", true, "interface: eth0\n", "node_name", 1,
     "required key is missing"},
    {"node_missing_interface", true, "node_name: lb1\n", "interface", 1, "required key is missing"},
    {"node_priority_zero", true, NODE_HEAD "priority: 0\n", "priority", 3, "must be 1..255, got 0"},
    {"node_priority_too_high", true, NODE_HEAD "priority: 256\n", "priority", 3,
     "must be 1..255, got 256"},
    {"node_bad_peer_address", true, NODE_HEAD "peer_addresses:\n  - 192.0.2.2\n  - lb2.example\n",
     "peer_addresses[1]", 5, "bad peer address 'lb2.example'"},
    {"node_bad_ping_method", true,
     NODE_HEAD "ping_nodes:\n  - address: 192.0.2.254\n    method: udp\n", "ping_nodes[0].method",
     5, "expected one of icmp|tcp, got 'udp'"},
    {"node_tcp_ping_without_port", true,
     NODE_HEAD "ping_nodes:\n  - address: 192.0.2.254\n    method: tcp\n", "ping_nodes[0].port", 4,
     "method tcp needs a port"},
    {"node_bad_log_level", true, NODE_HEAD "log_level: verbose\n", "log_level", 3,
     "expected trace|debug|info|warn|error|critical|off, got 'verbose'"},
    {"node_relative_state_dir", true, NODE_HEAD "directories:\n  state_dir: var/lib/lbha\n",
     "directories.state_dir", 4, "must be an absolute path"},
    {"node_unknown_key", true, NODE_HEAD "prio: 100\n", "prio", 3,
     "unknown key 'prio' (did you mean 'priority'?)"},
    {"node_heartbeat_port_out_of_range", true, NODE_HEAD "ports:\n  heartbeat: 0\n",
     "ports.heartbeat", 4, "port 0 is out of range 1..65535"},
    {"node_interface_name_too_long", true, "node_name: lb1\ninterface: averyveryverylongname\n",
     "interface", 2, "not a valid interface name"},
    {"node_port_on_icmp_ping", true,
     NODE_HEAD "ping_nodes:\n  - {address: 192.0.2.254, port: 80}\n", "ping_nodes[0].port", 4,
     "is only used with method tcp"},
    {"node_bad_local_address", true, NODE_HEAD "local_addresses: 192.0.2\n", "local_addresses[0]",
     3, "bad local address '192.0.2'"},
    {"node_alert_hook_relative", true,
     NODE_HEAD "alerts:\n  hooks:\n    - /usr/local/bin/a\n    - mail-it\n", "alerts.hooks[1]", 6,
     "must be an absolute path, got 'mail-it'"},
    {"node_alert_timeout_too_short", true,
     NODE_HEAD "alerts:\n  hooks: /bin/true\n  timeout: 50ms\n", "alerts.timeout", 5,
     "must be 100..600000 ms, got 50 ms"},
    {"node_alert_timeout_not_a_duration", true, NODE_HEAD "alerts:\n  timeout: soon\n",
     "alerts.timeout", 4, "expected a duration"},
    {"node_alert_queue_limit_zero", true, NODE_HEAD "alerts:\n  queue_limit: 0\n",
     "alerts.queue_limit", 4, "must be 1..10000, got 0"},
    {"node_alert_unknown_key", true, NODE_HEAD "alerts:\n  hook: /bin/true\n", "alerts.hook", 4,
     "did you mean 'hooks'?"},
    {"node_web_listen_without_port", true, NODE_HEAD "web:\n  https_listen: 0.0.0.0\n",
     "web.https_listen", 4, "expected ADDRESS:PORT"},
    {"node_web_listen_ipv6_without_brackets", true,
     NODE_HEAD "web:\n  https_listen: \"::1:9443\"\n", "web.https_listen", 4,
     "IPv6 as [ADDRESS]:PORT"},
    {"node_web_listen_port_zero", true, NODE_HEAD "web:\n  metrics_listen: 127.0.0.1:0\n",
     "web.metrics_listen", 4, "port must be 1..65535"},
    {"node_web_metrics_on_https_port", true, NODE_HEAD "web:\n  metrics_listen: 127.0.0.1:9443\n",
     "web.metrics_listen", 4, "port 9443 is also web.https_listen's"},
    {"node_web_redirect_on_https_port", true,
     NODE_HEAD "web:\n  http_redirect: on\n  http_listen: \"[::]:9443\"\n", "web.http_listen", 5,
     "port 9443 is also web.https_listen's"},
    {"node_web_redirect_not_bool", true, NODE_HEAD "web:\n  http_redirect: maybe\n",
     "web.http_redirect", 4, "expected"},
    {"node_web_certificate_relative", true, NODE_HEAD "web:\n  certificate: cert.pem\n",
     "web.certificate", 4, "must be an absolute path, got 'cert.pem'"},
    {"node_web_key_is_certificate", true,
     NODE_HEAD "web:\n  certificate: /etc/lbha/web/both.pem\n  key: /etc/lbha/web/both.pem\n",
     "web.key", 5, "must be a file of its own"},
    {"node_web_session_idle_too_short", true, NODE_HEAD "web:\n  session_idle: 10s\n",
     "web.session_idle", 4, "must be 1m..24h, got 10s"},
    {"node_web_snmp_agentx_relative", true, NODE_HEAD "web:\n  snmp_agentx: agentx/master\n",
     "web.snmp_agentx", 4,
     "expected an absolute socket path, unix:PATH or tcp:ADDRESS:PORT, got 'agentx/master'"},
    {"node_web_snmp_agentx_tcp_without_port", true,
     NODE_HEAD "web:\n  snmp_agentx: tcp:127.0.0.1\n", "web.snmp_agentx", 4, "got 'tcp:127.0.0.1'"},
    {"node_web_unknown_key", true, NODE_HEAD "web:\n  port: 9443\n", "web.port", 4,
     "unknown key 'port'"},
};

class config_errors : public ::testing::TestWithParam<bad_case> {};

TEST_P(config_errors, reports_key_and_line) {
  const bad_case& c = GetParam();
  const auto errors =
      c.node ? node_config_errors(c.yaml, "test.yaml") : cluster_config_errors(c.yaml, "test.yaml");
  ASSERT_EQ(errors.size(), 1u) << [&] {
    std::string all;
    for (const auto& e : errors) all += e.to_string() + "\n";
    return all;
  }();
  EXPECT_EQ(errors[0].file, "test.yaml");
  EXPECT_EQ(errors[0].key, c.key);
  EXPECT_EQ(errors[0].line, c.line);
  EXPECT_THAT(errors[0].message, ::testing::HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(bad_configs, config_errors, ::testing::ValuesIn(cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(config_errors, counts_at_least_thirty_cases) { EXPECT_GE(std::size(cases), 30u); }

TEST(config_errors, collects_every_error_in_file_order) {
  const char* yaml =
      "virtual_services:\n"
      "  - label: A\n"
      "    ip: 192.0.2.999\n"
      "    ports: 80\n"
      "    balance: random\n"
      "    real_servers:\n"
      "      - {label: R1, ip: 192.0.2.21, weight: 300}\n"
      "ha:\n"
      "  deadtime: 100ms\n"
      "  warntime: 2s\n";
  const auto errors = cluster_config_errors(yaml, "c.yaml");
  ASSERT_EQ(errors.size(), 5u);
  EXPECT_EQ(errors[0].to_string(),
            "c.yaml:3: virtual_services[0].ip: not an IPv4 or IPv6 address: '192.0.2.999'");
  EXPECT_EQ(errors[1].key, "virtual_services[0].balance");
  EXPECT_EQ(errors[2].key, "virtual_services[0].real_servers[0].weight");
  EXPECT_EQ(errors[2].line, 7);
  EXPECT_EQ(errors[3].key, "ha.deadtime");
  EXPECT_EQ(errors[3].line, 9);
  EXPECT_EQ(errors[4].key, "ha.warntime");
  EXPECT_EQ(errors[4].line, 10);

  // The result of the same parse: errc::invalid, every line of the list in its message.
  const auto result = parse_cluster_config(yaml, "c.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), errc::invalid);
  std::string lines;
  for (const auto& e : errors) lines += (lines.empty() ? "" : "\n") + e.to_string();
  EXPECT_EQ(result.error().message(), lines);
}

TEST(config_errors, error_format_without_line_or_key) {
  EXPECT_EQ((config_error{"f.yaml", 0, "ha.interval", "bad"}).to_string(),
            "f.yaml: ha.interval: bad");
  EXPECT_EQ((config_error{"f.yaml", 4, "", "YAML syntax error: x"}).to_string(),
            "f.yaml:4: YAML syntax error: x");
  EXPECT_EQ((config_error{"", 0, "ha.interval", "bad"}).to_string(), "ha.interval: bad");
}

TEST(config_errors, unreadable_file_is_one_error) {
  const auto result = load_cluster_config("/nonexistent/lbha/cluster.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error(), errc::unreadable);
  EXPECT_THAT(result.error().message(),
              ::testing::StartsWith("/nonexistent/lbha/cluster.yaml: cannot read: "));
}

// Every check a daemon makes is made here, so `lbctl config validate` says
// what the daemons would: proxyd takes the config exactly as validated.
TEST(config_errors, what_validates_is_what_proxyd_takes) {
  // A fallback without a port uses the client's port (proxyd once refused it).
  const auto errors = cluster_config_errors(
      "virtual_services:\n  - label: A\n    ip: 192.0.2.10\n    ports: 80\n"
      "    fallback: {ip: 192.0.2.50}\n",
      "c.yaml");
  EXPECT_TRUE(errors.empty()) << errors.front().to_string();
}

TEST(config_errors, validate_reports_key_paths_for_configs_built_in_code) {
  v1::ClusterConfig config;
  auto& vs = *config.add_virtual_services();
  vs.set_label("A");
  vs.set_ip("192.0.2.10");
  auto& port = *vs.add_ports();
  port.set_first(80);
  port.set_last(80);
  auto& rs = *vs.add_real_servers();
  rs.set_label("R1");
  rs.set_ip("192.0.2.21");
  apply_defaults(config);
  EXPECT_TRUE(validate(config, "mem").empty());
  rs.set_weight(1000);
  const auto errors = validate(config, "mem");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "mem: virtual_services[0].real_servers[0].weight: must be 0..256, got 1000");
}

}  // namespace
}  // namespace lbha::config
