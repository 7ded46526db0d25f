#include "cli/config_edit.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

#include "cli/render.hpp"
#include "common/config/names.hpp"
#include "common/config/values.hpp"

namespace lbha::cli {

namespace {

namespace names = config::names;

std::string bad(const std::string& option, const std::string& value, const std::string& why) {
  return "invalid --" + option + " " + (value.empty() ? "''" : value) + ": " + why;
}

// Each setter returns "" or the error for --name value.
std::string set_enum(const names::table& table, const std::string& option, const std::string& value,
                     int& out) {
  for (const auto& [name, number] : table) {
    if (name == value) {
      out = number;
      return "";
    }
  }
  return bad(option, value, "expected " + names::choices(table));
}

std::string set_number(const std::string& option, const std::string& value, uint64_t min,
                       uint64_t max, uint32_t& out) {
  const auto number = config::parse_unsigned(value);
  if (!number || *number < min || *number > max) {
    return bad(option, value, "must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  out = static_cast<uint32_t>(*number);
  return "";
}

std::string set_duration_ms(const std::string& option, const std::string& value, uint32_t& out) {
  const auto parsed = config::parse_duration_ms(value);
  if (!parsed.ms) return bad(option, value, parsed.error + " (e.g. 500ms, 50s, 5m)");
  if (*parsed.ms == 0 || *parsed.ms > std::numeric_limits<uint32_t>::max()) {
    return bad(option, value, "must be more than 0 and at most 49 days");
  }
  out = static_cast<uint32_t>(*parsed.ms);
  return "";
}

// yes | no (also true/false, on/off, as the YAML files accept).
std::string set_switch(const std::string& option, const std::string& value, bool& out) {
  const auto parsed = config::parse_bool(value);
  if (!parsed) return bad(option, value, "expected yes or no");
  out = *parsed;
  return "";
}

std::string set_ip(const std::string& option, const std::string& value, std::string& out) {
  const auto ip = config::parse_ip(value);
  if (!ip || ip->is_unspecified()) return bad(option, value, "not an IPv4 or IPv6 address");
  out = value;
  return "";
}

std::string set_ports(const std::string& value, v1::VirtualService& service) {
  google::protobuf::RepeatedPtrField<v1::PortRange> ports;
  for (const auto& text : config::split_commas(value)) {
    const auto range = config::parse_port_range(text);
    if (!range.error.empty()) return bad("ports", value, range.error);
    if (range.first < 1 || range.last > 65535 || range.first > range.last) {
      return bad("ports", value, "ports are 1..65535, ranges low-high");
    }
    auto* port = ports.Add();
    port->set_first(range.first);
    port->set_last(range.last);
  }
  if (ports.empty()) return bad("ports", value, "at least one port");
  *service.mutable_ports() = std::move(ports);
  return "";
}

std::string set_fallback(const std::string& value, v1::VirtualService& service) {
  if (value == "none") {
    service.clear_fallback();
    return "";
  }
  std::string host;
  std::string port;
  if (value.starts_with("[")) {
    const auto end = value.find("]:");
    if (end == std::string::npos) return bad("fallback", value, "expected IP:PORT or [IPv6]:PORT");
    host = value.substr(1, end - 1);
    port = value.substr(end + 2);
  } else {
    const auto colon = value.rfind(':');
    if (colon == std::string::npos) return bad("fallback", value, "expected IP:PORT or none");
    host = value.substr(0, colon);
    port = value.substr(colon + 1);
  }
  const auto ip = config::parse_ip(host);
  const auto number = config::parse_unsigned(port);
  if (!ip || ip->is_unspecified()) return bad("fallback", value, "not an IP address");
  if (!number || *number < 1 || *number > 65535) return bad("fallback", value, "port 1..65535");
  service.mutable_fallback()->set_ip(host);
  service.mutable_fallback()->set_port(static_cast<uint32_t>(*number));
  return "";
}

std::string apply_vip_field(v1::VirtualService& s, const std::string& name,
                            const std::string& value) {
  int number = 0;
  std::string error;
  uint32_t u = 0;
  if (name == "ip") return set_ip(name, value, *s.mutable_ip());
  if (name == "ports") return set_ports(value, s);
  if (name == "protocol") {
    error = set_enum(names::protocol, name, value, number);
    if (error.empty()) s.set_protocol(static_cast<v1::Protocol>(number));
    return error;
  }
  if (name == "persistence") {
    error = set_enum(names::persistence_mode, name, value, number);
    if (error.empty())
      s.mutable_persistence()->set_mode(static_cast<v1::Persistence::Mode>(number));
    return error;
  }
  if (name == "persistence-timeout") {
    error = set_duration_ms(name, value, u);
    if (error.empty() && u % 1000 != 0) error = bad(name, value, "whole seconds");
    if (error.empty()) s.mutable_persistence()->set_timeout_s(u / 1000);
    return error;
  }
  if (name == "balance") {
    error = set_enum(names::balance, name, value, number);
    if (error.empty()) s.set_balance(static_cast<v1::Balance>(number));
    return error;
  }
  if (name == "check") {
    error = set_enum(names::check_type, name, value, number);
    if (error.empty()) s.mutable_check()->set_type(static_cast<v1::HealthCheck::Type>(number));
    return error;
  }
  if (name == "check-path") {
    if (!value.starts_with("/")) return bad(name, value, "an HTTP path starting with /");
    s.mutable_check()->set_path(value);
    return "";
  }
  if (name == "check-expect") {
    s.mutable_check()->set_expect(value);
    return "";
  }
  if (name == "check-host") {
    s.mutable_check()->set_host(value);
    return "";
  }
  if (name == "check-port") {
    error = set_number(name, value, 0, 65535, u);
    if (error.empty()) s.mutable_check()->set_port(u);
    return error;
  }
  if (name == "check-interval") {
    error = set_duration_ms(name, value, u);
    if (error.empty()) s.mutable_check()->set_interval_ms(u);
    return error;
  }
  if (name == "check-timeout") {
    error = set_duration_ms(name, value, u);
    if (error.empty()) s.mutable_check()->set_timeout_ms(u);
    return error;
  }
  if (name == "check-expect-status") {
    if (!config::parse_status_range(value)) {
      return bad(name, value, "expected a status code (200) or a range (200-299) in 100..599");
    }
    s.mutable_check()->set_expect_status(value);
    return "";
  }
  if (name == "check-verify") {
    bool on = false;
    error = set_switch(name, value, on);
    if (error.empty()) s.mutable_check()->set_verify(on);
    return error;
  }
  if (name == "check-ca-file") {
    if (!value.empty() && value.front() != '/') return bad(name, value, "an absolute path");
    s.mutable_check()->set_ca_file(value);
    return "";
  }
  if (name == "check-command") {
    // Split on spaces (no shell, no quoting): the program and its arguments.
    auto& command = *s.mutable_check()->mutable_command();
    command.Clear();
    std::istringstream words(value);
    for (std::string word; words >> word;) command.Add(std::move(word));
    if (command.empty() || command.Get(0).front() != '/') {
      return bad(name, value, "the program's absolute path, then its arguments");
    }
    return "";
  }
  if (name == "check-rise") {
    error = set_number(name, value, 1, 100, u);
    if (error.empty()) s.mutable_check()->set_rise(u);
    return error;
  }
  if (name == "check-fall") {
    error = set_number(name, value, 1, 100, u);
    if (error.empty()) s.mutable_check()->set_fall(u);
    return error;
  }
  if (name == "client-timeout") {
    error = set_duration_ms(name, value, u);
    if (error.empty()) s.mutable_timeouts()->set_client_ms(u);
    return error;
  }
  if (name == "server-timeout") {
    error = set_duration_ms(name, value, u);
    if (error.empty()) s.mutable_timeouts()->set_server_ms(u);
    return error;
  }
  if (name == "connect-timeout") {
    error = set_duration_ms(name, value, u);
    if (error.empty()) s.mutable_timeouts()->set_connect_ms(u);
    return error;
  }
  if (name == "fallback") return set_fallback(value, s);
  if (name == "max-connections") {
    error = set_number(name, value, 0, std::numeric_limits<uint32_t>::max(), u);
    if (error.empty()) s.set_max_connections(u);
    return error;
  }
  if (name == "send-proxy") {
    error = set_enum(names::send_proxy, name, value, number);
    if (error.empty()) s.set_send_proxy(static_cast<v1::SendProxy>(number));
    return error;
  }
  if (name == "transparent") {
    bool on = false;
    error = set_switch(name, value, on);
    if (error.empty()) s.set_transparent(on);
    return error;
  }
  if (name == "all-backups") {
    bool on = false;
    error = set_switch(name, value, on);
    if (error.empty()) s.set_all_backups(on);
    return error;
  }
  return "unknown option --" + name;  // a field_map built by the command: a bug, not input
}

std::string apply_rip_field(v1::RealServer& r, const std::string& name, const std::string& value) {
  uint32_t u = 0;
  std::string error;
  if (name == "ip") return set_ip(name, value, *r.mutable_ip());
  if (name == "port") {
    error = set_number(name, value, 0, 65535, u);
    if (error.empty()) r.set_port(u);
    return error;
  }
  if (name == "weight") {
    error = set_number(name, value, 0, 256, u);
    if (error.empty()) r.set_weight(u);
    // Weight 0 is meaningful only once the state is set (apply_defaults' rule).
    if (error.empty() && r.state() == v1::REAL_SERVER_STATE_UNSPECIFIED) {
      r.set_state(v1::REAL_SERVER_STATE_ONLINE);
    }
    return error;
  }
  if (name == "backup") {
    bool on = false;
    error = set_switch(name, value, on);
    if (error.empty()) r.set_backup(on);
    return error;
  }
  return "unknown option --" + name;
}

std::string check_new_label(const std::string& kind, const std::string& label) {
  const auto why = config::check_label(label);
  return why.empty() ? ""
                     : "invalid " + kind + " label " + (label.empty() ? "''" : label) + ": " + why;
}

std::string ports_text(const v1::VirtualService& service) {
  std::string text;
  for (const auto& range : service.ports()) {
    text += (text.empty() ? "" : ",") + std::to_string(range.first());
    if (range.last() != range.first()) text += "-" + std::to_string(range.last());
  }
  return text;
}

std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(rows.front().size(), 0);
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

const std::vector<std::string>& vip_field_names() {
  static const std::vector<std::string> fields{"ip",
                                               "ports",
                                               "protocol",
                                               "persistence",
                                               "persistence-timeout",
                                               "balance",
                                               "check",
                                               "check-path",
                                               "check-expect",
                                               "check-host",
                                               "check-port",
                                               "check-interval",
                                               "check-timeout",
                                               "check-expect-status",
                                               "check-verify",
                                               "check-ca-file",
                                               "check-command",
                                               "check-rise",
                                               "check-fall",
                                               "client-timeout",
                                               "server-timeout",
                                               "connect-timeout",
                                               "fallback",
                                               "max-connections",
                                               "all-backups",
                                               "send-proxy",
                                               "transparent"};
  return fields;
}

const std::vector<std::string>& rip_field_names() {
  static const std::vector<std::string> fields{"ip", "port", "weight", "backup"};
  return fields;
}

const std::map<std::string, std::string>& vip_field_help() {
  static const std::map<std::string, std::string> help{
      {"ip", "the VIP, IPv4 or IPv6"},
      {"ports", "ports: 443, 80,443 or 8000-8010"},
      {"protocol", "tcp"},
      {"persistence", "none | source_ip"},
      {"persistence-timeout", "how long a client sticks (e.g. 30m)"},
      {"balance", "leastconn | roundrobin | source"},
      {"check", "health check: connect | http | https | external | none"},
      {"check-path", "http(s) check: path (e.g. /health)"},
      {"check-expect", "http(s) check: substring the body must contain"},
      {"check-expect-status", "http(s) check: status code or range (default 200-399)"},
      {"check-host", "http(s) check: Host header and TLS server name"},
      {"check-verify", "https check: yes | no, verify the certificate and name (default no)"},
      {"check-ca-file", "https check with --check-verify yes: CA bundle (default the system's)"},
      {"check-command", "external check: '/path/to/program args' (exit 0 = up; no shell)"},
      {"check-port", "check this port instead of the real server's"},
      {"check-interval", "between checks (e.g. 2s)"},
      {"check-timeout", "one check's timeout (e.g. 1s)"},
      {"check-rise", "consecutive passes before a server comes up (default 2)"},
      {"check-fall", "consecutive failures before a server goes down (default 3)"},
      {"client-timeout", "client idle timeout (e.g. 5m)"},
      {"server-timeout", "server idle timeout (e.g. 5m)"},
      {"connect-timeout", "connect to a real server (e.g. 4s)"},
      {"fallback", "IP:PORT used when every real server is down, or none"},
      {"max-connections", "0 = unlimited"},
      {"send-proxy", "none | v1 | v2: PROXY protocol header to the real servers (client address)"},
      {"all-backups", "yes | no: failover mode balances over every backup, not just the first"},
      {"transparent",
       "yes | no: TProxy, the real servers see the client's own address (needs the policy "
       "routing of README \"Transparent mode\"; not with --send-proxy)"}};
  return help;
}

const std::map<std::string, std::string>& rip_field_help() {
  static const std::map<std::string, std::string> help{
      {"ip", "the real server's address"},
      {"port", "its port; 0 (default) = the port the client used on the VIP"},
      {"weight", "0..256 (default 100); 0 takes no new clients"},
      {"backup", "yes | no: failover mode, takes clients only while no primary server is up"}};
  return help;
}

v1::VirtualService* find_vip(v1::ClusterConfig& config, const std::string& label) {
  for (auto& service : *config.mutable_virtual_services()) {
    if (service.label() == label) return &service;
  }
  return nullptr;
}

std::string unknown_vip(const v1::ClusterConfig& config, const std::string& label) {
  std::string known;
  for (const auto& service : config.virtual_services()) {
    known += (known.empty() ? "" : ", ") + service.label();
  }
  return "unknown virtual service " + label + " (known: " + (known.empty() ? "none" : known) + ")";
}

v1::RealServer* find_rip(v1::VirtualService& service, const std::string& label) {
  for (auto& server : *service.mutable_real_servers()) {
    if (server.label() == label) return &server;
  }
  return nullptr;
}

std::string unknown_rip(const v1::VirtualService& service, const std::string& label) {
  std::string known;
  for (const auto& server : service.real_servers()) {
    known += (known.empty() ? "" : ", ") + server.label();
  }
  return "unknown real server " + label + " in " + service.label() +
         " (known: " + (known.empty() ? "none" : known) + ")";
}

std::string add_vip(v1::ClusterConfig& config, const std::string& label, const field_map& fields) {
  if (auto error = check_new_label("virtual service", label); !error.empty()) return error;
  if (find_vip(config, label)) return "duplicate virtual service label " + label;
  if (!fields.contains("ip")) return "vip add " + label + ": --ip is required";
  if (!fields.contains("ports")) return "vip add " + label + ": --ports is required";
  v1::VirtualService service;
  service.set_label(label);
  for (const auto& [name, value] : fields) {
    if (auto error = apply_vip_field(service, name, value); !error.empty()) return error;
  }
  *config.add_virtual_services() = std::move(service);
  return "";
}

std::string modify_vip(v1::ClusterConfig& config, const std::string& label,
                       const field_map& fields) {
  auto* service = find_vip(config, label);
  if (!service) return unknown_vip(config, label);
  if (fields.empty()) return "vip modify " + label + ": nothing to change (see --help)";
  for (const auto& [name, value] : fields) {
    if (auto error = apply_vip_field(*service, name, value); !error.empty()) return error;
  }
  return "";
}

std::string delete_vip(v1::ClusterConfig& config, const std::string& label) {
  auto& services = *config.mutable_virtual_services();
  for (int i = 0; i < services.size(); ++i) {
    if (services[i].label() == label) {
      services.DeleteSubrange(i, 1);
      return "";
    }
  }
  return unknown_vip(config, label);
}

std::string add_rip(v1::ClusterConfig& config, const std::string& vip_label,
                    const std::string& label, const field_map& fields) {
  auto* service = find_vip(config, vip_label);
  if (!service) return unknown_vip(config, vip_label);
  if (auto error = check_new_label("real server", label); !error.empty()) return error;
  if (find_rip(*service, label)) return "duplicate real server label " + label + " in " + vip_label;
  if (!fields.contains("ip")) return "rip add " + vip_label + " " + label + ": --ip is required";
  v1::RealServer server;
  server.set_label(label);
  for (const auto& [name, value] : fields) {
    if (auto error = apply_rip_field(server, name, value); !error.empty()) return error;
  }
  *service->add_real_servers() = std::move(server);
  return "";
}

std::string modify_rip(v1::ClusterConfig& config, const std::string& vip_label,
                       const std::string& label, const field_map& fields) {
  auto* service = find_vip(config, vip_label);
  if (!service) return unknown_vip(config, vip_label);
  auto* server = find_rip(*service, label);
  if (!server) return unknown_rip(*service, label);
  if (fields.empty()) return "rip modify " + vip_label + " " + label + ": nothing to change";
  for (const auto& [name, value] : fields) {
    if (auto error = apply_rip_field(*server, name, value); !error.empty()) return error;
  }
  return "";
}

std::string delete_rip(v1::ClusterConfig& config, const std::string& vip_label,
                       const std::string& label) {
  auto* service = find_vip(config, vip_label);
  if (!service) return unknown_vip(config, vip_label);
  auto& servers = *service->mutable_real_servers();
  for (int i = 0; i < servers.size(); ++i) {
    if (servers[i].label() == label) {
      servers.DeleteSubrange(i, 1);
      return "";
    }
  }
  return unknown_rip(*service, label);
}

std::vector<std::vector<std::string>> vip_list_rows(const v1::ClusterConfig& config) {
  std::vector<std::vector<std::string>> rows{{"LABEL", "IP", "PORTS", "PROTOCOL", "PERSISTENCE",
                                              "BALANCE", "CHECK", "CLIENT", "SERVER",
                                              "REAL SERVERS"}};
  for (const auto& s : config.virtual_services()) {
    rows.push_back({s.label(), s.ip(), ports_text(s), protocol_text(s),
                    names::name_of(names::persistence_mode, s.persistence().mode()),
                    names::name_of(names::balance, s.balance()),
                    names::name_of(names::check_type, s.check().type()),
                    config::format_duration_ms(s.timeouts().client_ms()),
                    config::format_duration_ms(s.timeouts().server_ms()),
                    std::to_string(s.real_servers_size())});
  }
  return rows;
}

std::vector<std::vector<std::string>> rip_list_rows(const v1::VirtualService& service) {
  std::vector<std::vector<std::string>> rows{{"LABEL", "IP", "PORT", "WEIGHT", "STATE", "ROLE"}};
  for (const auto& r : service.real_servers()) {
    rows.push_back({r.label(), r.ip(), r.port() == 0 ? "=" : std::to_string(r.port()),
                    std::to_string(r.weight()), names::name_of(names::real_server_state, r.state()),
                    r.backup() ? "backup" : "primary"});
  }
  return rows;
}

std::string render_vip_list(const v1::ClusterConfig& config) {
  if (config.virtual_services().empty()) return "no virtual services\n";
  return table(vip_list_rows(config));
}

std::string render_rip_list(const v1::VirtualService& service) {
  if (service.real_servers().empty()) return "no real servers in " + service.label() + "\n";
  return table(rip_list_rows(service));
}

}  // namespace lbha::cli
