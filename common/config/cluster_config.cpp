// cluster.yaml <-> lbha.v1.ClusterConfig: the reader and the writer.
// Defaults and semantic rules live in cluster_rules.cpp.
#include <yaml-cpp/yaml.h>

#include <limits>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/config/names.hpp"
#include "common/config/reader.hpp"
#include "common/config/values.hpp"
#include "common/config/writer.hpp"

namespace lbha::config {

namespace {

using lbha::v1::ClusterConfig;
using lbha::v1::HaSettings;
using lbha::v1::RealServer;
using lbha::v1::VirtualService;
using node = YAML::Node;
using path_t = std::string;

void read_ha(yaml_reader& r, const node& yaml, const path_t& path, HaSettings& ha) {
  auto& garp = *ha.mutable_garp();
  auto& probe = *ha.mutable_arp_probe();
  r.read_map(
      yaml, path,
      {
          {"interval", LBHA_CONFIG_STORE(r.duration_ms(n, p), ha.set_interval_ms)},
          {"deadtime", LBHA_CONFIG_STORE(r.duration_ms(n, p), ha.set_deadtime_ms)},
          {"warntime", LBHA_CONFIG_STORE(r.duration_ms(n, p), ha.set_warntime_ms)},
          {"initdead", LBHA_CONFIG_STORE(r.duration_ms(n, p), ha.set_initdead_ms)},
          {"auto_failback", LBHA_CONFIG_STORE(r.boolean(n, p), ha.set_auto_failback)},
          {"garp",
           [&](const node& n, const path_t& p) {
             r.read_map(
                 n, p,
                 {
                     {"mode",
                      [&](const node& n, const path_t& p) {
                        if (auto v = r.enumeration(n, p, names::garp_mode)) {
                          garp.set_mode(static_cast<v1::GarpPolicy::Mode>(*v));
                        }
                      }},
                     {"count", LBHA_CONFIG_STORE(r.uint32(n, p), garp.set_count)},
                     {"interval", LBHA_CONFIG_STORE(r.duration_ms(n, p), garp.set_interval_ms)},
                     {"second_burst_delay",
                      LBHA_CONFIG_STORE(r.duration_ms(n, p), garp.set_second_burst_delay_ms)},
                     {"refresh_interval",
                      LBHA_CONFIG_STORE(r.duration_ms(n, p), garp.set_refresh_interval_ms)},
                 });
           }},
          {"arp_probe",
           [&](const node& n, const path_t& p) {
             r.read_map(
                 n, p,
                 {
                     {"enabled", LBHA_CONFIG_STORE(r.boolean(n, p), probe.set_enabled)},
                     {"timeout", LBHA_CONFIG_STORE(r.duration_ms(n, p), probe.set_timeout_ms)},
                     {"count", LBHA_CONFIG_STORE(r.uint32(n, p), probe.set_count)},
                 });
           }},
      });
}

// `ports: 443`, `ports: [443, "8000-8010"]` or `ports: "80,443"`.
void read_ports(yaml_reader& r, const node& yaml, const path_t& path, VirtualService& vs) {
  const auto add = [&](const std::string& text, const node& n, const path_t& p) {
    const auto parsed = parse_port_range(text);
    if (!parsed.error.empty()) {
      r.error(p, n, parsed.error);
      return;
    }
    auto& range = *vs.add_ports();
    range.set_first(parsed.first);
    range.set_last(parsed.last);
  };
  if (yaml.IsScalar()) {
    const auto parts = split_commas(yaml.Scalar());
    if (parts.size() == 1) {
      add(parts[0], yaml, path);
    } else {
      for (size_t i = 0; i < parts.size(); ++i) add(parts[i], yaml, index_key(path, i));
    }
    return;
  }
  if (!yaml.IsSequence()) {
    r.error(path, yaml, "expected a port, a list of ports or \"80,443\"");
    return;
  }
  r.read_list(yaml, path, [&](const node& item, const path_t& p) {
    if (!item.IsScalar()) {
      r.error(p, item, "expected a port (443) or a port range (\"8000-8010\")");
      return;
    }
    add(item.Scalar(), item, p);
  });
}

void read_real_server(yaml_reader& r, const node& yaml, const path_t& path, RealServer& rs) {
  r.read_map(yaml, path,
             {
                 {"label", LBHA_CONFIG_STORE(r.string(n, p), rs.set_label)},
                 {"ip", LBHA_CONFIG_STORE(r.string(n, p), rs.set_ip)},
                 {"port", LBHA_CONFIG_STORE(r.uint32(n, p), rs.set_port)},
                 {"weight", LBHA_CONFIG_STORE(r.uint32(n, p), rs.set_weight)},
                 {"backup", LBHA_CONFIG_STORE(r.boolean(n, p), rs.set_backup)},
                 {"state",
                  [&](const node& n, const path_t& p) {
                    if (auto v = r.enumeration(n, p, names::real_server_state)) {
                      rs.set_state(static_cast<v1::RealServerState>(*v));
                    }
                  }},
             });
}

void read_virtual_service(yaml_reader& r, const node& yaml, const path_t& path,
                          VirtualService& vs) {
  r.read_map(
      yaml, path,
      {
          {"label", LBHA_CONFIG_STORE(r.string(n, p), vs.set_label)},
          {"ip", LBHA_CONFIG_STORE(r.string(n, p), vs.set_ip)},
          {"ports", [&](const node& n, const path_t& p) { read_ports(r, n, p, vs); }},
          {"protocol",
           [&](const node& n, const path_t& p) {
             if (auto v = r.enumeration(n, p, names::protocol)) {
               vs.set_protocol(static_cast<v1::Protocol>(*v));
             }
           }},
          {"balance",
           [&](const node& n, const path_t& p) {
             if (auto v = r.enumeration(n, p, names::balance)) {
               vs.set_balance(static_cast<v1::Balance>(*v));
             }
           }},
          {"persistence",
           [&](const node& n, const path_t& p) {
             auto& persistence = *vs.mutable_persistence();
             r.read_map(
                 n, p,
                 {
                     {"mode",
                      [&](const node& n, const path_t& p) {
                        if (auto v = r.enumeration(n, p, names::persistence_mode)) {
                          persistence.set_mode(static_cast<v1::Persistence::Mode>(*v));
                        }
                      }},
                     {"timeout", LBHA_CONFIG_STORE(r.duration_s(n, p), persistence.set_timeout_s)},
                 });
           }},
          {"check",
           [&](const node& n, const path_t& p) {
             auto& check = *vs.mutable_check();
             r.read_map(
                 n, p,
                 {
                     {"type",
                      [&](const node& n, const path_t& p) {
                        if (auto v = r.enumeration(n, p, names::check_type)) {
                          check.set_type(static_cast<v1::HealthCheck::Type>(*v));
                        }
                      }},
                     {"path", LBHA_CONFIG_STORE(r.string(n, p), check.set_path)},
                     {"expect", LBHA_CONFIG_STORE(r.string(n, p), check.set_expect)},
                     {"host", LBHA_CONFIG_STORE(r.string(n, p), check.set_host)},
                     {"port", LBHA_CONFIG_STORE(r.uint32(n, p), check.set_port)},
                     {"interval", LBHA_CONFIG_STORE(r.duration_ms(n, p), check.set_interval_ms)},
                     {"timeout", LBHA_CONFIG_STORE(r.duration_ms(n, p), check.set_timeout_ms)},
                     {"rise", LBHA_CONFIG_STORE(r.uint32(n, p), check.set_rise)},
                     {"fall", LBHA_CONFIG_STORE(r.uint32(n, p), check.set_fall)},
                     {"expect_status", LBHA_CONFIG_STORE(r.string(n, p), check.set_expect_status)},
                     {"verify", LBHA_CONFIG_STORE(r.boolean(n, p), check.set_verify)},
                     {"ca_file", LBHA_CONFIG_STORE(r.string(n, p), check.set_ca_file)},
                     {"command",
                      [&](const node& n, const path_t& p) {
                        r.read_list(n, p, [&](const node& item, const path_t& item_path) {
                          if (auto arg = r.string(item, item_path)) check.add_command(*arg);
                        });
                      }},
                 });
           }},
          {"timeouts",
           [&](const node& n, const path_t& p) {
             auto& timeouts = *vs.mutable_timeouts();
             r.read_map(
                 n, p,
                 {
                     {"client", LBHA_CONFIG_STORE(r.duration_ms(n, p), timeouts.set_client_ms)},
                     {"server", LBHA_CONFIG_STORE(r.duration_ms(n, p), timeouts.set_server_ms)},
                     {"connect", LBHA_CONFIG_STORE(r.duration_ms(n, p), timeouts.set_connect_ms)},
                 });
           }},
          {"fallback",
           [&](const node& n, const path_t& p) {
             if (n.IsNull()) return;  // `fallback:` with no value: none, as if absent
             auto& fallback = *vs.mutable_fallback();
             r.read_map(n, p,
                        {
                            {"ip", LBHA_CONFIG_STORE(r.string(n, p), fallback.set_ip)},
                            {"port", LBHA_CONFIG_STORE(r.uint32(n, p), fallback.set_port)},
                        });
           }},
          {"max_connections", LBHA_CONFIG_STORE(r.uint32(n, p), vs.set_max_connections)},
          {"all_backups", LBHA_CONFIG_STORE(r.boolean(n, p), vs.set_all_backups)},
          {"transparent", LBHA_CONFIG_STORE(r.boolean(n, p), vs.set_transparent)},
          {"send_proxy",
           [&](const node& n, const path_t& p) {
             if (auto v = r.enumeration(n, p, names::send_proxy)) {
               vs.set_send_proxy(static_cast<v1::SendProxy>(*v));
             }
           }},
          {"real_servers",
           [&](const node& n, const path_t& p) {
             r.read_list(n, p, [&](const node& item, const path_t& item_path) {
               read_real_server(r, item, item_path, *vs.add_real_servers());
             });
           }},
      });
}

void read_cluster(yaml_reader& r, const node& yaml, ClusterConfig& config) {
  constexpr uint64_t max64 = std::numeric_limits<uint64_t>::max();
  r.read_map(
      yaml, "",
      {
          {"generation", LBHA_CONFIG_STORE(r.unsigned_int(n, p, max64), config.set_generation)},
          {"term", LBHA_CONFIG_STORE(r.unsigned_int(n, p, max64), config.set_term)},
          {"ha", [&](const node& n, const path_t& p) { read_ha(r, n, p, *config.mutable_ha()); }},
          {"virtual_services",
           [&](const node& n, const path_t& p) {
             r.read_list(n, p, [&](const node& item, const path_t& item_path) {
               read_virtual_service(r, item, item_path, *config.add_virtual_services());
             });
           }},
      });
}

void write_virtual_service(YAML::Emitter& out, const VirtualService& vs) {
  out << YAML::BeginMap;
  write_string(out, "label", vs.label());
  write_string(out, "ip", vs.ip());
  // `ports: 443` for the common single port, else a flow list such as [443, "8000-8010"].
  out << YAML::Key << "ports" << YAML::Value;
  const bool single = vs.ports_size() == 1 && vs.ports(0).first() == vs.ports(0).last();
  if (!single) out << YAML::Flow << YAML::BeginSeq;
  for (const auto& range : vs.ports()) {
    if (range.first() == range.last()) {
      out << range.first();
    } else {
      out << std::to_string(range.first()) + "-" + std::to_string(range.last());
    }
  }
  if (!single) out << YAML::EndSeq;
  write_enum(out, "protocol", names::protocol, vs.protocol());
  write_enum(out, "balance", names::balance, vs.balance());
  out << YAML::Key << "persistence" << YAML::Value << YAML::BeginMap;
  write_enum(out, "mode", names::persistence_mode, vs.persistence().mode());
  write_duration(out, "timeout", uint64_t{vs.persistence().timeout_s()} * 1000);
  out << YAML::EndMap;
  const auto& check = vs.check();
  out << YAML::Key << "check" << YAML::Value << YAML::BeginMap;
  write_enum(out, "type", names::check_type, check.type());
  const bool http =
      check.type() == v1::HealthCheck::TYPE_HTTP || check.type() == v1::HealthCheck::TYPE_HTTPS;
  if (http || !check.path().empty()) write_string(out, "path", check.path());
  if (!check.expect().empty()) write_string(out, "expect", check.expect());
  if (!check.expect_status().empty()) write_string(out, "expect_status", check.expect_status());
  if (!check.host().empty()) write_string(out, "host", check.host());
  if (check.verify()) out << YAML::Key << "verify" << YAML::Value << true;
  if (!check.ca_file().empty()) write_string(out, "ca_file", check.ca_file());
  if (check.command_size() > 0) {
    out << YAML::Key << "command" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& arg : check.command()) {
      out << YAML::DoubleQuoted << arg;
    }
    out << YAML::EndSeq;
  }
  if (check.port() != 0) out << YAML::Key << "port" << YAML::Value << check.port();
  write_duration(out, "interval", check.interval_ms());
  write_duration(out, "timeout", check.timeout_ms());
  out << YAML::Key << "rise" << YAML::Value << check.rise();
  out << YAML::Key << "fall" << YAML::Value << check.fall();
  out << YAML::EndMap;
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  write_duration(out, "client", vs.timeouts().client_ms());
  write_duration(out, "server", vs.timeouts().server_ms());
  write_duration(out, "connect", vs.timeouts().connect_ms());
  out << YAML::EndMap;
  if (vs.has_fallback()) {
    out << YAML::Key << "fallback" << YAML::Value << YAML::Flow << YAML::BeginMap;
    write_string(out, "ip", vs.fallback().ip());
    out << YAML::Key << "port" << YAML::Value << vs.fallback().port() << YAML::EndMap;
  }
  if (vs.max_connections() != 0) {
    out << YAML::Key << "max_connections" << YAML::Value << vs.max_connections();
  }
  if (vs.all_backups()) out << YAML::Key << "all_backups" << YAML::Value << true;
  if (vs.send_proxy() != v1::SEND_PROXY_NONE) {
    write_enum(out, "send_proxy", names::send_proxy, vs.send_proxy());
  }
  if (vs.transparent()) out << YAML::Key << "transparent" << YAML::Value << true;
  out << YAML::Key << "real_servers" << YAML::Value << YAML::BeginSeq;
  for (const auto& rs : vs.real_servers()) {
    out << YAML::BeginMap;
    write_string(out, "label", rs.label());
    write_string(out, "ip", rs.ip());
    if (rs.port() != 0) out << YAML::Key << "port" << YAML::Value << rs.port();
    out << YAML::Key << "weight" << YAML::Value << rs.weight();
    write_enum(out, "state", names::real_server_state, rs.state());
    if (rs.backup()) out << YAML::Key << "backup" << YAML::Value << true;
    out << YAML::EndMap;
  }
  out << YAML::EndSeq << YAML::EndMap;
}

}  // namespace

result<ClusterConfig> parse_cluster_config(std::string_view yaml, std::string_view file_name) {
  return parse_with<ClusterConfig>(yaml, file_name, read_cluster).to_result();
}

std::vector<config_error> cluster_config_errors(std::string_view yaml, std::string_view file_name) {
  return parse_with<ClusterConfig>(yaml, file_name, read_cluster).errors;
}

result<ClusterConfig> load_cluster_config(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    return error(errc::unreadable, path.string() + ": cannot read: " + text.error().message());
  }
  return parse_cluster_config(text.value(), path.string());
}

std::string to_yaml(const ClusterConfig& config) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "generation" << YAML::Value << config.generation();
  out << YAML::Key << "term" << YAML::Value << config.term();
  const auto& ha = config.ha();
  out << YAML::Key << "ha" << YAML::Value << YAML::BeginMap;
  write_duration(out, "interval", ha.interval_ms());
  write_duration(out, "deadtime", ha.deadtime_ms());
  write_duration(out, "warntime", ha.warntime_ms());
  write_duration(out, "initdead", ha.initdead_ms());
  out << YAML::Key << "auto_failback" << YAML::Value << ha.auto_failback();
  out << YAML::Key << "garp" << YAML::Value << YAML::BeginMap;
  write_enum(out, "mode", names::garp_mode, ha.garp().mode());
  out << YAML::Key << "count" << YAML::Value << ha.garp().count();
  write_duration(out, "interval", ha.garp().interval_ms());
  write_duration(out, "second_burst_delay", ha.garp().second_burst_delay_ms());
  write_duration(out, "refresh_interval", ha.garp().refresh_interval_ms());
  out << YAML::EndMap;
  out << YAML::Key << "arp_probe" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << ha.arp_probe().enabled();
  write_duration(out, "timeout", ha.arp_probe().timeout_ms());
  out << YAML::Key << "count" << YAML::Value << ha.arp_probe().count();
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::Key << "virtual_services" << YAML::Value << YAML::BeginSeq;
  for (const auto& vs : config.virtual_services()) write_virtual_service(out, vs);
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace lbha::config
