// node.yaml <-> lbha.v1.NodeConfig: reader, writer, defaults and rules.
#include <pwd.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <thread>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/config/names.hpp"
#include "common/config/reader.hpp"
#include "common/config/values.hpp"
#include "common/config/writer.hpp"
#include "common/daemon_options.hpp"
#include "common/logging.hpp"

namespace lbha::config {

namespace {

using lbha::v1::NodeConfig;
using node = YAML::Node;
using path_t = std::string;

void read_ping_node(yaml_reader& r, const node& yaml, const path_t& path, v1::PingNode& ping) {
  if (yaml.IsScalar()) {  // `- 192.0.2.254`: an ICMP target
    ping.set_address(yaml.Scalar());
    return;
  }
  r.read_map(yaml, path,
             {
                 {"address", LBHA_CONFIG_STORE(r.string(n, p), ping.set_address)},
                 {"method",
                  [&](const node& n, const path_t& p) {
                    if (auto v = r.enumeration(n, p, names::ping_method)) {
                      ping.set_method(static_cast<v1::PingNode::Method>(*v));
                    }
                  }},
                 {"port", LBHA_CONFIG_STORE(r.uint32(n, p), ping.set_port)},
             });
}

void read_strings(yaml_reader& r, const node& yaml, const path_t& path,
                  google::protobuf::RepeatedPtrField<std::string>& out) {
  if (yaml.IsScalar()) {  // a single address needs no brackets
    out.Add(std::string(yaml.Scalar()));
    return;
  }
  r.read_list(yaml, path, [&](const node& item, const path_t& p) {
    auto value = r.string(item, p);
    out.Add(value ? std::move(*value) : std::string());  // keep indices aligned with the file
  });
}

void read_node(yaml_reader& r, const node& yaml, NodeConfig& config) {
  auto& dirs = *config.mutable_directories();
  auto& ports = *config.mutable_ports();
  auto& ssh = *config.mutable_ssh();
  auto& proxy = *config.mutable_proxy();
  auto& notify = *config.mutable_notify();
  auto& alerts = *config.mutable_alerts();
  auto& web = *config.mutable_web();
  r.read_map(
      yaml, "",
      {
          {"node_name", LBHA_CONFIG_STORE(r.string(n, p), config.set_node_name)},
          {"interface", LBHA_CONFIG_STORE(r.string(n, p), config.set_interface)},
          {"local_addresses",
           [&](const node& n, const path_t& p) {
             read_strings(r, n, p, *config.mutable_local_addresses());
           }},
          {"peer_addresses",
           [&](const node& n, const path_t& p) {
             read_strings(r, n, p, *config.mutable_peer_addresses());
           }},
          {"priority", LBHA_CONFIG_STORE(r.uint32(n, p), config.set_priority)},
          {"ping_nodes",
           [&](const node& n, const path_t& p) {
             r.read_list(n, p, [&](const node& item, const path_t& item_path) {
               read_ping_node(r, item, item_path, *config.add_ping_nodes());
             });
           }},
          {"directories",
           [&](const node& n, const path_t& p) {
             r.read_map(n, p,
                        {
                            {"config_dir", LBHA_CONFIG_STORE(r.string(n, p), dirs.set_config_dir)},
                            {"state_dir", LBHA_CONFIG_STORE(r.string(n, p), dirs.set_state_dir)},
                            {"run_dir", LBHA_CONFIG_STORE(r.string(n, p), dirs.set_run_dir)},
                        });
           }},
          {"ports",
           [&](const node& n, const path_t& p) {
             r.read_map(n, p,
                        {
                            {"heartbeat", LBHA_CONFIG_STORE(r.uint32(n, p), ports.set_heartbeat)},
                            {"sync", LBHA_CONFIG_STORE(r.uint32(n, p), ports.set_sync)},
                            {"ssh", LBHA_CONFIG_STORE(r.uint32(n, p), ports.set_ssh)},
                        });
           }},
          {"ssh",
           [&](const node& n, const path_t& p) {
             r.read_map(n, p,
                        {
                            {"user", LBHA_CONFIG_STORE(r.string(n, p), ssh.set_user)},
                            {"receive_command",
                             LBHA_CONFIG_STORE(r.string(n, p), ssh.set_receive_command)},
                            {"authorized_keys",
                             LBHA_CONFIG_STORE(r.string(n, p), ssh.set_authorized_keys)},
                        });
           }},
          {"proxy",
           [&](const node& n, const path_t& p) {
             r.read_map(n, p,
                        {
                            {"threads", LBHA_CONFIG_STORE(r.uint32(n, p), proxy.set_threads)},
                            {"stick_table_size", LBHA_CONFIG_STORE(r.unsigned_int(n, p, UINT64_MAX),
                                                                   proxy.set_stick_table_size)},
                            {"source_address",
                             LBHA_CONFIG_STORE(r.string(n, p), proxy.set_source_address)},
                        });
           }},
          {"notify",
           [&](const node& n, const path_t& p) {
             r.read_map(
                 n, p,
                 {
                     {"on_active", LBHA_CONFIG_STORE(r.string(n, p), notify.set_on_active)},
                     {"on_passive", LBHA_CONFIG_STORE(r.string(n, p), notify.set_on_passive)},
                     {"on_fault", LBHA_CONFIG_STORE(r.string(n, p), notify.set_on_fault)},
                 });
           }},
          {"alerts",
           [&](const node& n, const path_t& p) {
             r.read_map(
                 n, p,
                 {
                     {"hooks",
                      [&](const node& n, const path_t& p) {
                        read_strings(r, n, p, *alerts.mutable_hooks());
                      }},
                     {"timeout", LBHA_CONFIG_STORE(r.duration_ms(n, p), alerts.set_timeout_ms)},
                     {"queue_limit", LBHA_CONFIG_STORE(r.uint32(n, p), alerts.set_queue_limit)},
                 });
           }},
          {"web",
           [&](const node& n, const path_t& p) {
             r.read_map(
                 n, p,
                 {
                     {"https_listen", LBHA_CONFIG_STORE(r.string(n, p), web.set_https_listen)},
                     {"http_redirect", LBHA_CONFIG_STORE(r.boolean(n, p), web.set_http_redirect)},
                     {"http_listen", LBHA_CONFIG_STORE(r.string(n, p), web.set_http_listen)},
                     {"metrics_listen", LBHA_CONFIG_STORE(r.string(n, p), web.set_metrics_listen)},
                     {"certificate", LBHA_CONFIG_STORE(r.string(n, p), web.set_certificate)},
                     {"key", LBHA_CONFIG_STORE(r.string(n, p), web.set_key)},
                     {"session_idle",
                      LBHA_CONFIG_STORE(r.duration_ms(n, p), web.set_session_idle_ms)},
                     {"snmp_agentx", LBHA_CONFIG_STORE(r.string(n, p), web.set_snmp_agentx)},
                 });
           }},
          {"log_level", LBHA_CONFIG_STORE(r.string(n, p), config.set_log_level)},
      });
}

// ~user/.ssh/authorized_keys, resolved now so that the loaded config is complete.
std::string default_authorized_keys(const std::string& user) {
  std::string home = "/home/" + user;
  long size = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) == 0 &&
      found != nullptr && found->pw_dir != nullptr && found->pw_dir[0] == '/') {
    home = found->pw_dir;
  }
  return home + "/.ssh/authorized_keys";
}

template <typename Value, typename Setter>
void fill(const presence& keys, const std::string& path, Value current, Value value, Setter set) {
  if (current == Value{} && !keys.written(path)) set(value);
}

class node_validator {
 public:
  explicit node_validator(std::string file) : file_(std::move(file)) {}

  std::vector<config_error> run(const NodeConfig& config) {
    if (config.node_name().empty()) {
      error("node_name", "required key is missing or empty");
    } else if (auto why = check_label(config.node_name()); !why.empty()) {
      error("node_name", "node name " + why);
    }
    check_interface(config.interface());
    for (int i = 0; i < config.local_addresses_size(); ++i) {
      check_address(index_key("local_addresses", i), config.local_addresses(i), "local");
    }
    for (int i = 0; i < config.peer_addresses_size(); ++i) {
      check_address(index_key("peer_addresses", i), config.peer_addresses(i), "peer");
    }
    if (config.priority() < 1 || config.priority() > 255) {
      error("priority", "must be 1..255, got " + std::to_string(config.priority()));
    }
    if (config.ping_nodes_size() > limits::max_ping_nodes) {
      error("ping_nodes", "at most " + std::to_string(limits::max_ping_nodes) +
                              " ping nodes, got " + std::to_string(config.ping_nodes_size()));
    }
    if (config.peer_addresses_size() > limits::max_paths) {
      error("peer_addresses", "at most " + std::to_string(limits::max_paths) +
                                  " heartbeat paths, got " +
                                  std::to_string(config.peer_addresses_size()));
    }
    if (config.local_addresses_size() > limits::max_paths) {
      error("local_addresses", "at most " + std::to_string(limits::max_paths) +
                                   " heartbeat paths, got " +
                                   std::to_string(config.local_addresses_size()));
    }
    for (int i = 0; i < config.ping_nodes_size(); ++i) {
      const auto& ping = config.ping_nodes(i);
      const std::string path = index_key("ping_nodes", i);
      check_address(join_key(path, "address"), ping.address(), "ping node");
      if (names::name_of(names::ping_method, ping.method()).empty()) {
        error(join_key(path, "method"), "expected one of " + names::choices(names::ping_method));
      } else if (ping.method() == v1::PingNode::METHOD_TCP) {
        if (ping.port() == 0 || ping.port() > 65535) {
          error(join_key(path, "port"),
                "method tcp needs a port 1..65535, got " + std::to_string(ping.port()));
        }
      } else if (ping.port() != 0) {
        error(join_key(path, "port"), "is only used with method tcp");
      }
    }
    check_directory("directories.config_dir", config.directories().config_dir());
    check_directory("directories.state_dir", config.directories().state_dir());
    check_directory("directories.run_dir", config.directories().run_dir());
    check_port("ports.heartbeat", config.ports().heartbeat());
    check_port("ports.sync", config.ports().sync());
    check_port("ports.ssh", config.ports().ssh());
    if (config.ssh().user().empty()) error("ssh.user", "must not be empty");
    if (config.ssh().receive_command().empty()) {
      error("ssh.receive_command", "must not be empty");
    }
    check_absolute("ssh.authorized_keys", config.ssh().authorized_keys(), false);
    if (config.proxy().threads() == 0) error("proxy.threads", "must be at least 1");
    if (config.proxy().stick_table_size() == 0) {
      error("proxy.stick_table_size", "must be at least 1");
    }
    if (!config.proxy().source_address().empty() && !parse_ip(config.proxy().source_address())) {
      error("proxy.source_address",
            "not an IPv4 or IPv6 address: '" + config.proxy().source_address() + "'");
    }
    check_absolute("notify.on_active", config.notify().on_active(), true);
    check_absolute("notify.on_passive", config.notify().on_passive(), true);
    check_absolute("notify.on_fault", config.notify().on_fault(), true);
    check_alerts(config.alerts());
    check_web(config.web());
    spdlog::level::level_enum level;
    if (!parse_log_level(config.log_level(), level)) {
      error("log_level",
            "expected trace|debug|info|warn|error|critical|off, got '" + config.log_level() + "'");
    }
    return std::move(errors_);
  }

 private:
  void error(std::string key, std::string message) {
    errors_.push_back({file_, 0, std::move(key), std::move(message)});
  }

  void check_alerts(const v1::AlertSettings& alerts) {
    for (int i = 0; i < alerts.hooks_size(); ++i) {
      check_absolute(index_key("alerts.hooks", i), alerts.hooks(i), false);
    }
    if (alerts.timeout_ms() < limits::min_alert_timeout_ms ||
        alerts.timeout_ms() > limits::max_alert_timeout_ms) {
      error("alerts.timeout", "must be " + std::to_string(limits::min_alert_timeout_ms) + ".." +
                                  std::to_string(limits::max_alert_timeout_ms) + " ms, got " +
                                  std::to_string(alerts.timeout_ms()) + " ms");
    }
    if (alerts.queue_limit() < 1 || alerts.queue_limit() > limits::max_alert_queue) {
      error("alerts.queue_limit", "must be 1.." + std::to_string(limits::max_alert_queue) +
                                      ", got " + std::to_string(alerts.queue_limit()));
    }
  }

  void check_web(const v1::WebSettings& web) {
    const auto https = check_listen("web.https_listen", web.https_listen());
    const auto http = check_listen("web.http_listen", web.http_listen());
    const auto metrics = check_listen("web.metrics_listen", web.metrics_listen());
    // The same port on overlapping addresses would fail only at bind time, on
    // the node: say it here. Ports alone are compared (0.0.0.0 overlaps all).
    if (https && metrics && https->port == metrics->port) {
      error("web.metrics_listen",
            "port " + std::to_string(metrics->port) + " is also web.https_listen's");
    }
    if (web.http_redirect() && http) {
      if (https && http->port == https->port) {
        error("web.http_listen",
              "port " + std::to_string(http->port) + " is also web.https_listen's");
      } else if (metrics && http->port == metrics->port) {
        error("web.http_listen",
              "port " + std::to_string(http->port) + " is also web.metrics_listen's");
      }
    }
    check_absolute("web.certificate", web.certificate(), false);
    check_absolute("web.key", web.key(), false);
    if (!web.certificate().empty() && web.certificate() == web.key()) {
      error("web.key", "must be a file of its own, not web.certificate's");
    }
    if (web.session_idle_ms() < limits::min_web_session_idle_ms ||
        web.session_idle_ms() > limits::max_web_session_idle_ms) {
      error("web.session_idle", "must be " + format_duration_ms(limits::min_web_session_idle_ms) +
                                    ".." + format_duration_ms(limits::max_web_session_idle_ms) +
                                    ", got " + format_duration_ms(web.session_idle_ms()));
    }
    check_agentx("web.snmp_agentx", web.snmp_agentx());
  }

  // What net-snmp's AgentX client takes and an operator would write: snmpd's
  // agentXSocket as a Unix socket path or a TCP address (an IP literal, so
  // the subagent never waits on name resolution). "" = SNMP off.
  void check_agentx(const std::string& key, const std::string& text) {
    if (text.empty()) return;
    std::string_view rest = text;
    if (rest.starts_with("unix:")) rest.remove_prefix(5);
    if (rest.starts_with("/")) return;
    if (rest.starts_with("tcp:") && parse_listen_address(rest.substr(4)).value) return;
    error(key,
          "expected an absolute socket path, unix:PATH or tcp:ADDRESS:PORT, got '" + text + "'");
  }

  std::optional<listen_address> check_listen(const std::string& key, const std::string& text) {
    auto parsed = parse_listen_address(text);
    if (!parsed.value) error(key, parsed.error);
    return parsed.value;
  }

  void check_interface(const std::string& name) {
    if (name.empty()) {
      error("interface", "required key is missing or empty");
    } else if (name.size() > 15 || name == "." || name == ".." ||
               name.find_first_of("/: \t") != std::string::npos) {
      error("interface", "not a valid interface name: '" + name + "'");
    }
  }

  void check_address(const std::string& key, const std::string& address, const char* what) {
    if (address.empty()) {
      error(key, "required key is missing or empty");
      return;
    }
    auto parsed = parse_ip(address);
    if (!parsed || parsed->is_unspecified()) {
      error(key, std::string("bad ") + what + " address '" + address +
                     "': expected a specific IPv4 or IPv6 address");
    }
  }

  void check_port(const std::string& key, uint32_t port) {
    if (port == 0 || port > 65535) {
      error(key, "port " + std::to_string(port) + " is out of range 1..65535");
    }
  }

  void check_directory(const std::string& key, const std::string& dir) {
    check_absolute(key, dir, false);
  }

  void check_absolute(const std::string& key, const std::string& path, bool empty_ok) {
    if (path.empty()) {
      if (!empty_ok) error(key, "must not be empty");
    } else if (path.front() != '/') {
      error(key, "must be an absolute path, got '" + path + "'");
    }
  }

  std::string file_;
  std::vector<config_error> errors_;
};

}  // namespace

void apply_defaults(NodeConfig& config, const presence& keys) {
  fill(keys, "priority", config.priority(), 100u, [&](auto v) { config.set_priority(v); });
  fill(keys, "log_level", config.log_level(), std::string("info"),
       [&](auto v) { config.set_log_level(v); });
  for (int i = 0; i < config.ping_nodes_size(); ++i) {
    auto& ping = *config.mutable_ping_nodes(i);
    fill(keys, join_key(index_key("ping_nodes", i), "method"), ping.method(),
         v1::PingNode::METHOD_ICMP, [&](auto v) { ping.set_method(v); });
  }
  auto& dirs = *config.mutable_directories();
  fill(keys, "directories.config_dir", dirs.config_dir(), std::string(default_config_dir),
       [&](auto v) { dirs.set_config_dir(v); });
  fill(keys, "directories.state_dir", dirs.state_dir(), std::string(default_state_dir),
       [&](auto v) { dirs.set_state_dir(v); });
  fill(keys, "directories.run_dir", dirs.run_dir(), std::string(default_run_dir),
       [&](auto v) { dirs.set_run_dir(v); });
  auto& ports = *config.mutable_ports();
  fill(keys, "ports.heartbeat", ports.heartbeat(), 6694u, [&](auto v) { ports.set_heartbeat(v); });
  fill(keys, "ports.sync", ports.sync(), 7778u, [&](auto v) { ports.set_sync(v); });
  fill(keys, "ports.ssh", ports.ssh(), 22u, [&](auto v) { ports.set_ssh(v); });
  auto& ssh = *config.mutable_ssh();
  fill(keys, "ssh.user", ssh.user(), std::string("loadbalancer"), [&](auto v) { ssh.set_user(v); });
  fill(keys, "ssh.receive_command", ssh.receive_command(), std::string("lbha-receive-config"),
       [&](auto v) { ssh.set_receive_command(v); });
  if (!ssh.user().empty()) {
    fill(keys, "ssh.authorized_keys", ssh.authorized_keys(), default_authorized_keys(ssh.user()),
         [&](auto v) { ssh.set_authorized_keys(v); });
  }
  auto& proxy = *config.mutable_proxy();
  fill(keys, "proxy.threads", proxy.threads(), std::max(1u, std::thread::hardware_concurrency()),
       [&](auto v) { proxy.set_threads(v); });
  fill(keys, "proxy.stick_table_size", proxy.stick_table_size(), uint64_t{1'000'000},
       [&](auto v) { proxy.set_stick_table_size(v); });
  config.mutable_notify();  // present, so readers need not check has_notify()
  auto& alerts = *config.mutable_alerts();
  fill(keys, "alerts.timeout", alerts.timeout_ms(), 10'000u,
       [&](auto v) { alerts.set_timeout_ms(v); });
  fill(keys, "alerts.queue_limit", alerts.queue_limit(), 100u,
       [&](auto v) { alerts.set_queue_limit(v); });
  auto& web = *config.mutable_web();
  fill(keys, "web.https_listen", web.https_listen(), std::string("0.0.0.0:9443"),
       [&](auto v) { web.set_https_listen(v); });
  fill(keys, "web.http_listen", web.http_listen(), std::string("0.0.0.0:9080"),
       [&](auto v) { web.set_http_listen(v); });
  fill(keys, "web.metrics_listen", web.metrics_listen(), std::string("127.0.0.1:9101"),
       [&](auto v) { web.set_metrics_listen(v); });
  fill(keys, "web.certificate", web.certificate(), std::string("/etc/lbha/web/cert.pem"),
       [&](auto v) { web.set_certificate(v); });
  fill(keys, "web.key", web.key(), std::string("/etc/lbha/web/key.pem"),
       [&](auto v) { web.set_key(v); });
  fill(keys, "web.session_idle", web.session_idle_ms(), 900'000u,
       [&](auto v) { web.set_session_idle_ms(v); });
}

void apply_defaults(NodeConfig& config) { apply_defaults(config, presence{}); }

std::vector<config_error> validate(const NodeConfig& config, std::string_view file_name) {
  return node_validator(std::string(file_name)).run(config);
}

result<NodeConfig> parse_node_config(std::string_view yaml, std::string_view file_name) {
  return parse_with<NodeConfig>(yaml, file_name, read_node).to_result();
}

std::vector<config_error> node_config_errors(std::string_view yaml, std::string_view file_name) {
  return parse_with<NodeConfig>(yaml, file_name, read_node).errors;
}

result<NodeConfig> load_node_config(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    return error(errc::unreadable, path.string() + ": cannot read: " + text.error().message());
  }
  return parse_node_config(text.value(), path.string());
}

std::string to_yaml(const NodeConfig& config) {
  YAML::Emitter out;
  const auto strings = [&](const char* key, const auto& values) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& value : values) out << value;
    out << YAML::EndSeq;
  };
  out << YAML::BeginMap;
  write_string(out, "node_name", config.node_name());
  write_string(out, "interface", config.interface());
  strings("local_addresses", config.local_addresses());
  strings("peer_addresses", config.peer_addresses());
  out << YAML::Key << "priority" << YAML::Value << config.priority();
  out << YAML::Key << "ping_nodes" << YAML::Value << YAML::BeginSeq;
  for (const auto& ping : config.ping_nodes()) {
    out << YAML::Flow << YAML::BeginMap;
    write_string(out, "address", ping.address());
    write_enum(out, "method", names::ping_method, ping.method());
    if (ping.port() != 0) out << YAML::Key << "port" << YAML::Value << ping.port();
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "directories" << YAML::Value << YAML::BeginMap;
  write_string(out, "config_dir", config.directories().config_dir());
  write_string(out, "state_dir", config.directories().state_dir());
  write_string(out, "run_dir", config.directories().run_dir());
  out << YAML::EndMap;
  out << YAML::Key << "ports" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "heartbeat" << YAML::Value << config.ports().heartbeat();
  out << YAML::Key << "sync" << YAML::Value << config.ports().sync();
  out << YAML::Key << "ssh" << YAML::Value << config.ports().ssh();
  out << YAML::EndMap;
  out << YAML::Key << "ssh" << YAML::Value << YAML::BeginMap;
  write_string(out, "user", config.ssh().user());
  write_string(out, "receive_command", config.ssh().receive_command());
  write_string(out, "authorized_keys", config.ssh().authorized_keys());
  out << YAML::EndMap;
  out << YAML::Key << "proxy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "threads" << YAML::Value << config.proxy().threads();
  out << YAML::Key << "stick_table_size" << YAML::Value << config.proxy().stick_table_size();
  if (!config.proxy().source_address().empty()) {
    write_string(out, "source_address", config.proxy().source_address());
  }
  out << YAML::EndMap;
  const auto& notify = config.notify();
  if (!notify.on_active().empty() || !notify.on_passive().empty() || !notify.on_fault().empty()) {
    out << YAML::Key << "notify" << YAML::Value << YAML::BeginMap;
    if (!notify.on_active().empty()) write_string(out, "on_active", notify.on_active());
    if (!notify.on_passive().empty()) write_string(out, "on_passive", notify.on_passive());
    if (!notify.on_fault().empty()) write_string(out, "on_fault", notify.on_fault());
    out << YAML::EndMap;
  }
  const auto& alerts = config.alerts();
  if (alerts.hooks_size() > 0) {
    out << YAML::Key << "alerts" << YAML::Value << YAML::BeginMap;
    strings("hooks", alerts.hooks());
    write_duration(out, "timeout", alerts.timeout_ms());
    out << YAML::Key << "queue_limit" << YAML::Value << alerts.queue_limit();
    out << YAML::EndMap;
  }
  const auto& web = config.web();
  out << YAML::Key << "web" << YAML::Value << YAML::BeginMap;
  write_string(out, "https_listen", web.https_listen());
  out << YAML::Key << "http_redirect" << YAML::Value << web.http_redirect();
  write_string(out, "http_listen", web.http_listen());
  write_string(out, "metrics_listen", web.metrics_listen());
  write_string(out, "certificate", web.certificate());
  write_string(out, "key", web.key());
  write_duration(out, "session_idle", web.session_idle_ms());
  write_string(out, "snmp_agentx", web.snmp_agentx());
  out << YAML::EndMap;
  write_string(out, "log_level", config.log_level());
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace lbha::config
