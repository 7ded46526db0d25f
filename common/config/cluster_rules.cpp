// cluster.yaml's defaults and semantic rules (see config.proto's comments for
// the documented defaults). Key paths use the YAML key names, not the proto
// field names, so an operator can find every reported key in the file.
#include <algorithm>
#include <map>

#include "common/config/config.hpp"
#include "common/config/names.hpp"
#include "common/config/reader.hpp"
#include "common/config/values.hpp"

namespace lbha::config {

namespace {

using lbha::v1::ClusterConfig;
using lbha::v1::HaSettings;
using lbha::v1::VirtualService;

// A zero field gets its default unless the file wrote the zero on purpose.
template <typename Value, typename Setter>
void fill(const presence& keys, const std::string& path, Value current, Value value, Setter set) {
  if (current == Value{} && !keys.written(path)) set(value);
}

void defaults_ha(HaSettings& ha, const presence& keys) {
  fill(keys, "ha.interval", ha.interval_ms(), 100u, [&](auto v) { ha.set_interval_ms(v); });
  fill(keys, "ha.deadtime", ha.deadtime_ms(), 1000u, [&](auto v) { ha.set_deadtime_ms(v); });
  // The documented defaults (500ms, 3s) bend to a longer deadtime, so that
  // raising deadtime alone never makes the untouched keys invalid.
  fill(keys, "ha.warntime", ha.warntime_ms(), ha.deadtime_ms() > 500 ? 500u : ha.deadtime_ms() / 2,
       [&](auto v) { ha.set_warntime_ms(v); });
  fill(keys, "ha.initdead", ha.initdead_ms(), std::max(3000u, ha.deadtime_ms()),
       [&](auto v) { ha.set_initdead_ms(v); });

  // second_burst_delay: 0 means "no second burst", so a zero is unset only
  // when absent from the file or, in code, when the policy never saw defaults.
  const bool garp_untouched =
      keys.from_file() ? !keys.written("ha.garp.second_burst_delay")
                       : (!ha.has_garp() || ha.garp().mode() == v1::GarpPolicy::MODE_UNSPECIFIED);
  const bool probe_untouched =
      keys.from_file() ? !keys.written("ha.arp_probe.enabled") : !ha.has_arp_probe();
  auto& garp = *ha.mutable_garp();
  if (garp_untouched && garp.second_burst_delay_ms() == 0) garp.set_second_burst_delay_ms(1000);
  fill(keys, "ha.garp.mode", garp.mode(), v1::GarpPolicy::MODE_REQUEST,
       [&](auto v) { garp.set_mode(v); });
  fill(keys, "ha.garp.count", garp.count(), 3u, [&](auto v) { garp.set_count(v); });
  fill(keys, "ha.garp.interval", garp.interval_ms(), 10u, [&](auto v) { garp.set_interval_ms(v); });

  auto& probe = *ha.mutable_arp_probe();
  if (probe_untouched) probe.set_enabled(true);
  fill(keys, "ha.arp_probe.timeout", probe.timeout_ms(), 30u,
       [&](auto v) { probe.set_timeout_ms(v); });
  fill(keys, "ha.arp_probe.count", probe.count(), 2u, [&](auto v) { probe.set_count(v); });
}

void defaults_virtual_service(VirtualService& vs, const std::string& path, const presence& keys) {
  const auto key = [&](const char* name) { return join_key(path, name); };
  fill(keys, key("protocol"), vs.protocol(), v1::PROTOCOL_TCP, [&](auto v) { vs.set_protocol(v); });
  fill(keys, key("balance"), vs.balance(), v1::BALANCE_LEASTCONN,
       [&](auto v) { vs.set_balance(v); });

  auto& persistence = *vs.mutable_persistence();
  fill(keys, key("persistence.mode"), persistence.mode(), v1::Persistence::MODE_NONE,
       [&](auto v) { persistence.set_mode(v); });
  fill(keys, key("persistence.timeout"), persistence.timeout_s(), 1800u,
       [&](auto v) { persistence.set_timeout_s(v); });

  auto& check = *vs.mutable_check();
  fill(keys, key("check.type"), check.type(), v1::HealthCheck::TYPE_CONNECT,
       [&](auto v) { check.set_type(v); });
  if ((check.type() == v1::HealthCheck::TYPE_HTTP || check.type() == v1::HealthCheck::TYPE_HTTPS) &&
      check.path().empty() && !keys.written(key("check.path"))) {
    check.set_path("/");
  }
  fill(keys, key("check.interval"), check.interval_ms(), 2000u,
       [&](auto v) { check.set_interval_ms(v); });
  fill(keys, key("check.timeout"), check.timeout_ms(), std::min(1000u, check.interval_ms()),
       [&](auto v) { check.set_timeout_ms(v); });
  fill(keys, key("check.rise"), check.rise(), 2u, [&](auto v) { check.set_rise(v); });
  fill(keys, key("check.fall"), check.fall(), 3u, [&](auto v) { check.set_fall(v); });

  fill(keys, key("send_proxy"), vs.send_proxy(), v1::SEND_PROXY_NONE,
       [&](auto v) { vs.set_send_proxy(v); });

  auto& timeouts = *vs.mutable_timeouts();
  fill(keys, key("timeouts.client"), timeouts.client_ms(), 50000u,
       [&](auto v) { timeouts.set_client_ms(v); });
  fill(keys, key("timeouts.server"), timeouts.server_ms(), 50000u,
       [&](auto v) { timeouts.set_server_ms(v); });
  fill(keys, key("timeouts.connect"), timeouts.connect_ms(), 4000u,
       [&](auto v) { timeouts.set_connect_ms(v); });

  for (int i = 0; i < vs.real_servers_size(); ++i) {
    auto& rs = *vs.mutable_real_servers(i);
    const std::string rs_path = index_key(key("real_servers"), i);
    // weight 0 is meaningful ("no new clients"). In code, a server whose state
    // is still UNSPECIFIED never saw defaults, so its zero weight is unset.
    const bool weight_unset =
        keys.from_file() ? !keys.written(join_key(rs_path, "weight"))
                         : rs.weight() == 0 && rs.state() == v1::REAL_SERVER_STATE_UNSPECIFIED;
    if (weight_unset) rs.set_weight(100);
    fill(keys, join_key(rs_path, "state"), rs.state(), v1::REAL_SERVER_STATE_ONLINE,
         [&](auto v) { rs.set_state(v); });
  }
}

class cluster_validator {
 public:
  explicit cluster_validator(std::string file) : file_(std::move(file)) {}

  std::vector<config_error> run(const ClusterConfig& config) {
    check_ha(config.ha());
    std::map<std::string, int> labels;
    for (int i = 0; i < config.virtual_services_size(); ++i) {
      const auto& vs = config.virtual_services(i);
      const std::string path = index_key("virtual_services", i);
      check_virtual_service(vs, path);
      if (!vs.label().empty()) {
        auto [it, fresh] = labels.emplace(vs.label(), i);
        if (!fresh) {
          error(join_key(path, "label"), "duplicate virtual service label '" + vs.label() +
                                             "' (also virtual_services[" +
                                             std::to_string(it->second) + "])");
        }
      }
    }
    check_conflicts(config);
    return std::move(errors_);
  }

 private:
  void error(std::string key, std::string message) {
    errors_.push_back({file_, 0, std::move(key), std::move(message)});
  }

  // Bounds that keep a takeover bounded in time and in packets: a config that validates
  // must not schedule billions of timers or flood the LAN (heartbeatd/README.md).
  void check_range(const std::string& key, uint64_t value, uint64_t low, uint64_t high,
                   bool duration) {
    if (value >= low && value <= high) return;
    const auto show = [duration](uint64_t v) {
      return duration ? format_duration_ms(v) : std::to_string(v);
    };
    error(key, "must be " + show(low) + ".." + show(high) + ", got " + show(value));
  }

  void check_max(const std::string& key, uint64_t value, uint64_t high) {
    if (value > high) {
      error(key,
            "must be at most " + format_duration_ms(high) + ", got " + format_duration_ms(value));
    }
  }

  // A duration where 0 is the documented "off".
  void check_optional_range(const std::string& key, uint64_t value, uint64_t low, uint64_t high) {
    if (value == 0) return;
    if (value >= low && value <= high) return;
    error(key, "must be 0 (off) or " + format_duration_ms(low) + ".." + format_duration_ms(high) +
                   ", got " + format_duration_ms(value));
  }

  void check_ha(const HaSettings& ha) {
    const auto ms = format_duration_ms;
    check_range("ha.interval", ha.interval_ms(), limits::min_interval_ms, limits::max_interval_ms,
                true);
    if (uint64_t{ha.deadtime_ms()} <= 2 * uint64_t{ha.interval_ms()}) {
      error("ha.deadtime", "must be more than 2 x interval (" + ms(2 * uint64_t{ha.interval_ms()}) +
                               "), got " + ms(ha.deadtime_ms()));
    } else {
      check_max("ha.deadtime", ha.deadtime_ms(), limits::max_deadtime_ms);
    }
    if (ha.warntime_ms() >= ha.deadtime_ms()) {
      error("ha.warntime", "must be less than deadtime (" + ms(ha.deadtime_ms()) + "), got " +
                               ms(ha.warntime_ms()));
    }
    if (ha.initdead_ms() < ha.deadtime_ms()) {
      error("ha.initdead", "must be at least deadtime (" + ms(ha.deadtime_ms()) + "), got " +
                               ms(ha.initdead_ms()));
    } else {
      check_max("ha.initdead", ha.initdead_ms(), limits::max_initdead_ms);
    }
    check_enum("ha.garp.mode", names::garp_mode, ha.garp().mode());
    if (ha.garp().count() == 0) {
      error("ha.garp.count", "must be at least 1");
    } else {
      check_range("ha.garp.count", ha.garp().count(), 1, limits::max_garp_count, false);
    }
    check_range("ha.garp.interval", ha.garp().interval_ms(), limits::min_interval_ms,
                limits::max_garp_interval_ms, true);
    check_optional_range("ha.garp.second_burst_delay", ha.garp().second_burst_delay_ms(),
                         limits::min_interval_ms, limits::max_second_burst_delay_ms);
    check_optional_range("ha.garp.refresh_interval", ha.garp().refresh_interval_ms(),
                         limits::min_refresh_interval_ms, limits::max_refresh_interval_ms);
    if (ha.arp_probe().enabled()) {
      if (ha.arp_probe().timeout_ms() == 0) {
        error("ha.arp_probe.timeout", "must be greater than 0 while arp_probe is enabled");
      } else if (ha.arp_probe().timeout_ms() >= ha.deadtime_ms()) {
        error("ha.arp_probe.timeout", "must be less than deadtime (" + ms(ha.deadtime_ms()) +
                                          "), got " + ms(ha.arp_probe().timeout_ms()));
      } else {
        check_range("ha.arp_probe.timeout", ha.arp_probe().timeout_ms(), limits::min_interval_ms,
                    limits::max_probe_timeout_ms, true);
      }
      if (ha.arp_probe().count() == 0) {
        error("ha.arp_probe.count", "must be at least 1 while arp_probe is enabled");
      } else {
        check_range("ha.arp_probe.count", ha.arp_probe().count(), 1, limits::max_probe_count,
                    false);
      }
    }
  }

  void check_enum(const std::string& key, const names::table& table, int number) {
    if (names::name_of(table, number).empty()) {
      error(key, number == 0 ? "required key is missing"
                             : "unknown value " + std::to_string(number) + ", expected one of " +
                                   names::choices(table));
    }
  }

  void check_label(const std::string& key, const std::string& label) {
    if (label.empty()) {
      error(key, "required key is missing or empty");
    } else if (auto why = config::check_label(label); !why.empty()) {
      error(key, "label " + why);
    }
  }

  // A unicast address for a VIP or a real server; `required` when it may not be empty.
  void check_ip(const std::string& key, const std::string& ip) {
    if (ip.empty()) {
      error(key, "required key is missing or empty");
      return;
    }
    auto address = parse_ip(ip);
    if (!address) {
      error(key, "not an IPv4 or IPv6 address: '" + ip + "'");
    } else if (address->is_unspecified()) {
      error(key, "must be a specific address, not '" + ip + "'");
    }
  }

  void check_port(const std::string& key, uint32_t port, bool zero_ok) {
    if (port > 65535 || (port == 0 && !zero_ok)) {
      error(key, "port " + std::to_string(port) + " is out of range 1..65535");
    }
  }

  void check_virtual_service(const VirtualService& vs, const std::string& path) {
    const auto key = [&](const char* name) { return join_key(path, name); };
    check_label(key("label"), vs.label());
    check_ip(key("ip"), vs.ip());
    if (vs.ports_size() == 0) error(key("ports"), "at least one port is required");
    for (int i = 0; i < vs.ports_size(); ++i) {
      const auto& range = vs.ports(i);
      const std::string port_key = index_key(key("ports"), i);
      if (range.first() == 0 || range.first() > 65535 || range.last() == 0 ||
          range.last() > 65535) {
        error(port_key, range.first() == range.last()
                            ? "port " + std::to_string(range.first()) + " is out of range 1..65535"
                            : "port range " + std::to_string(range.first()) + "-" +
                                  std::to_string(range.last()) + " is out of range 1..65535");
      } else if (range.first() > range.last()) {
        error(port_key, "bad port range " + std::to_string(range.first()) + "-" +
                            std::to_string(range.last()) + ": first port is above the last");
      } else {
        for (int j = 0; j < i; ++j) {
          const auto& other = vs.ports(j);
          if (range.first() <= other.last() && other.first() <= range.last()) {
            error(port_key, "overlaps ports[" + std::to_string(j) + "] of this virtual service");
            break;
          }
        }
      }
    }
    check_enum(key("protocol"), names::protocol, vs.protocol());
    check_enum(key("balance"), names::balance, vs.balance());
    check_enum(key("persistence.mode"), names::persistence_mode, vs.persistence().mode());
    check_enum(key("send_proxy"), names::send_proxy, vs.send_proxy());
    if (vs.persistence().mode() == v1::Persistence::MODE_SOURCE_IP &&
        vs.persistence().timeout_s() == 0) {
      error(key("persistence.timeout"), "must be greater than 0 with mode source_ip");
    }
    check_health(vs.check(), key("check"));
    if (vs.timeouts().client_ms() == 0) error(key("timeouts.client"), "must be greater than 0");
    if (vs.timeouts().server_ms() == 0) error(key("timeouts.server"), "must be greater than 0");
    if (vs.timeouts().connect_ms() == 0) error(key("timeouts.connect"), "must be greater than 0");
    if (vs.has_fallback()) {
      check_ip(key("fallback.ip"), vs.fallback().ip());
      check_port(key("fallback.port"), vs.fallback().port(), true);
    }
    std::map<std::string, int> labels;
    for (int i = 0; i < vs.real_servers_size(); ++i) {
      const auto& rs = vs.real_servers(i);
      const std::string rs_path = index_key(key("real_servers"), i);
      const auto rs_key = [&](const char* name) { return join_key(rs_path, name); };
      check_label(rs_key("label"), rs.label());
      if (!rs.label().empty()) {
        auto [it, fresh] = labels.emplace(rs.label(), i);
        if (!fresh) {
          error(rs_key("label"), "duplicate real server label '" + rs.label() +
                                     "' in this virtual service (also real_servers[" +
                                     std::to_string(it->second) + "])");
        }
      }
      check_ip(rs_key("ip"), rs.ip());
      check_port(rs_key("port"), rs.port(), true);
      if (rs.weight() > 256) {
        error(rs_key("weight"), "must be 0..256, got " + std::to_string(rs.weight()));
      }
      check_enum(rs_key("state"), names::real_server_state, rs.state());
      check_transparent_server(vs, rs, rs_key("ip"));
    }
    if (vs.transparent() && vs.send_proxy() != v1::SEND_PROXY_NONE &&
        vs.send_proxy() != v1::SEND_PROXY_UNSPECIFIED) {
      error(key("transparent"),
            "cannot be combined with send_proxy: each gives the real servers the client's "
            "address, choose one");
    }
  }

  // A transparent connection leaves from the client's address, which is of
  // the VIP's family (IPv6 listeners are IPV6_V6ONLY): a real server of the
  // other family could not be reached from it. The fallback is never
  // transparent, so it may be either.
  void check_transparent_server(const VirtualService& vs, const v1::RealServer& rs,
                                const std::string& ip_key) {
    if (!vs.transparent()) return;
    const auto vip = parse_ip(vs.ip());
    const auto server = parse_ip(rs.ip());
    if (!vip || !server || vip->v6 == server->v6) return;  // bad addresses: check_ip's
    error(ip_key, std::string("a transparent service's real servers must be ") +
                      (vip->v6 ? "IPv6" : "IPv4") + " like its VIP " + vs.ip() +
                      " (they are reached from the client's own address)");
  }

  void check_health(const v1::HealthCheck& check, const std::string& path) {
    const auto key = [&](const char* name) { return join_key(path, name); };
    check_enum(key("type"), names::check_type, check.type());
    const bool https = check.type() == v1::HealthCheck::TYPE_HTTPS;
    const bool http = check.type() == v1::HealthCheck::TYPE_HTTP || https;
    const bool external = check.type() == v1::HealthCheck::TYPE_EXTERNAL;
    if (http && (check.path().empty() || check.path().front() != '/')) {
      error(key("path"),
            "an http check needs a path starting with '/', got '" + check.path() + "'");
    }
    if (!http) {
      for (auto [name, value] :
           {std::pair{"path", &check.path()}, std::pair{"expect", &check.expect()},
            std::pair{"host", &check.host()}, std::pair{"expect_status", &check.expect_status()}}) {
        if (!value->empty()) error(key(name), "is only used by checks of type http or https");
      }
    }
    if (http && !check.expect_status().empty() && !parse_status_range(check.expect_status())) {
      error(key("expect_status"),
            "expected a status code (200) or a range (200-299) within "
            "100..599, got '" +
                check.expect_status() + "'");
    }
    if (!https && check.verify()) error(key("verify"), "is only used by checks of type https");
    if (!https && !check.ca_file().empty()) {
      error(key("ca_file"), "is only used by checks of type https");
    } else if (!check.ca_file().empty() && check.ca_file().front() != '/') {
      error(key("ca_file"), "must be an absolute path, got '" + check.ca_file() + "'");
    } else if (!check.ca_file().empty() && !check.verify()) {
      error(key("ca_file"), "is used only with verify: true");
    }
    if (external &&
        (check.command().empty() || check.command(0).empty() || check.command(0).front() != '/')) {
      error(key("command"),
            "an external check needs a command whose first item is an absolute path "
            "(e.g. [/usr/local/bin/check-iis, --deep])");
    }
    if (!external && !check.command().empty()) {
      error(key("command"), "is only used by checks of type external");
    }
    if (check.type() == v1::HealthCheck::TYPE_NONE) return;
    check_port(key("port"), check.port(), true);
    if (check.interval_ms() == 0) error(key("interval"), "must be greater than 0");
    if (check.timeout_ms() == 0) {
      error(key("timeout"), "must be greater than 0");
    } else if (check.timeout_ms() > check.interval_ms() && check.interval_ms() != 0) {
      error(key("timeout"), "must not exceed the check interval (" +
                                format_duration_ms(check.interval_ms()) + "), got " +
                                format_duration_ms(check.timeout_ms()));
    }
    if (check.rise() == 0) error(key("rise"), "must be at least 1");
    if (check.fall() == 0) error(key("fall"), "must be at least 1");
  }

  // Two virtual services may not listen on the same ip:port.
  void check_conflicts(const ClusterConfig& config) {
    for (int j = 1; j < config.virtual_services_size(); ++j) {
      const auto& vs = config.virtual_services(j);
      const auto ip = parse_ip(vs.ip());
      if (!ip) continue;
      for (int k = 0; k < vs.ports_size(); ++k) {
        const auto& range = vs.ports(k);
        bool reported = false;
        for (int i = 0; i < j && !reported; ++i) {
          const auto& other = config.virtual_services(i);
          if (parse_ip(other.ip()) != ip) continue;
          for (const auto& taken : other.ports()) {
            if (range.first() <= taken.last() && taken.first() <= range.last()) {
              const uint32_t port = std::max(range.first(), taken.first());
              error(index_key(join_key(index_key("virtual_services", j), "ports"), k),
                    vs.ip() + ":" + std::to_string(port) + " is already used by virtual service '" +
                        other.label() + "' (virtual_services[" + std::to_string(i) + "])");
              reported = true;
              break;
            }
          }
        }
      }
    }
  }

  std::string file_;
  std::vector<config_error> errors_;
};

}  // namespace

void apply_defaults(ClusterConfig& config, const presence& keys) {
  defaults_ha(*config.mutable_ha(), keys);
  for (int i = 0; i < config.virtual_services_size(); ++i) {
    defaults_virtual_service(*config.mutable_virtual_services(i), index_key("virtual_services", i),
                             keys);
  }
}

void apply_defaults(ClusterConfig& config) { apply_defaults(config, presence{}); }

std::vector<config_error> validate(const ClusterConfig& config, std::string_view file_name) {
  return cluster_validator(std::string(file_name)).run(config);
}

}  // namespace lbha::config
