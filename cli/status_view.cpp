#include "cli/status_view.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <array>
#include <map>
#include <sstream>
#include <vector>

#include "cli/render.hpp"
#include "common/config/names.hpp"

namespace lbha::cli {

namespace {

const v1::VirtualService* configured(const overview& view, const std::string& label) {
  if (!view.config) return nullptr;
  for (const auto& service : view.config->virtual_services()) {
    if (service.label() == label) return &service;
  }
  return nullptr;
}

// ANSI colour and symbol per state word; plain text keeps the word alone.
std::string decorate(const std::string& state, bool color) {
  if (!color) return state;
  const char* code = "0";
  const char* symbol = "?";
  if (state == "up") {
    code = "32", symbol = "\u25cf";  // green ●
  } else if (state == "down") {
    code = "31", symbol = "\u2716";  // red ✖
  } else if (state == "degraded" || state == "drain") {
    code = "33", symbol = state == "drain" ? "\u25d0" : "\u25b2";  // yellow ◐ ▲
  } else if (state == "halt") {
    code = "34", symbol = "\u25a0";  // blue ■
  } else if (state == "serving" || state == "standby") {
    code = state == "serving" ? "33" : "0";
    symbol = state == "serving" ? "\u25b6" : "\u25cb";  // yellow ▶ (fallback in use), ○
  }
  return std::string("\033[") + code + "m" + symbol + " " + state + "\033[0m";
}

using row = std::array<std::string, 8>;

void print_table(std::ostream& out, const std::vector<row>& rows, bool color) {
  std::array<size_t, 8> width{};
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  for (size_t n = 0; n < rows.size(); ++n) {
    const auto& r = rows[n];
    std::string line;
    for (size_t i = 0; i + 1 < r.size(); ++i) {
      // Counters read better right-aligned; text left-aligned.
      const bool numeric = i == 3 || i == 4;
      const std::string pad(width[i] - r[i].size(), ' ');
      line += numeric ? pad + r[i] : r[i] + pad;
      line += "  ";
    }
    line += n == 0 ? r.back() : decorate(r.back(), color);
    out << line << "\n";
  }
}

std::string message_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(message, &text, options).ok()) return "null";
  while (!text.empty() && text.back() == '\n') text.pop_back();
  // Indent the nested document by one level of the outer object.
  std::string indented;
  for (const char c : text) {
    indented += c;
    if (c == '\n') indented += "  ";
  }
  return indented;
}

}  // namespace

std::string role_name(v1::Role role) {
  switch (role) {
    case v1::ROLE_INIT:
      return "INIT";
    case v1::ROLE_PASSIVE:
      return "PASSIVE";
    case v1::ROLE_ACTIVE:
      return "ACTIVE";
    case v1::ROLE_FAULT:
      return "FAULT";
    default:
      return "UNKNOWN";
  }
}

std::string ports_text(const google::protobuf::RepeatedPtrField<v1::PortRange>& ports) {
  std::string text;
  for (const auto& range : ports) {
    if (!text.empty()) text += ",";
    text += std::to_string(range.first());
    if (range.last() != range.first()) text += "-" + std::to_string(range.last());
  }
  return text;
}

std::string service_health(const v1::VirtualServiceStatus& service) {
  int serving = 0;
  int healthy = 0;
  int healthy_backups = 0;
  for (const auto& server : service.real_servers()) {
    if (server.state() == v1::REAL_SERVER_STATE_HALT ||
        server.state() == v1::REAL_SERVER_STATE_DRAIN || server.weight() == 0) {
      continue;
    }
    if (server.backup()) {
      healthy_backups += server.healthy() ? 1 : 0;
      continue;
    }
    ++serving;
    healthy += server.healthy() ? 1 : 0;
  }
  if (healthy == 0) return healthy_backups > 0 ? "on backup" : "down";
  return healthy == serving ? "up" : "degraded";
}

std::string server_state(const v1::RealServerStatus& server) {
  if (server.state() == v1::REAL_SERVER_STATE_HALT) return "halt";
  if (server.state() == v1::REAL_SERVER_STATE_DRAIN) return "drain";
  return server.healthy() ? "up" : "down";
}

std::string role_reason(const v1::HaStatus& ha) {
  if (ha.standalone()) return "";
  if (ha.role() == v1::ROLE_FAULT) {
    return "our ping node(s) do not answer: this node may be the one cut off, so it does not "
           "take the VIPs";
  }
  if (ha.peer_alive()) return "";
  const std::string silent = "the peer is silent on every heartbeat path";
  switch (ha.role()) {
    case v1::ROLE_ACTIVE:
      return silent + ", so this node keeps the VIPs" +
             (ha.ping_configured() && !ha.ping_ok()
                  ? " (alone, even though its ping node(s) do not answer)"
                  : "");
    case v1::ROLE_PASSIVE:
      if (ha.peer_holds_vips_on_lan()) {
        return silent +
               " but still answers for the VIPs on the LAN (ARP probe): the heartbeat path is "
               "broken (UDP 6694 blocked? clocks apart: see dropped stale), so this node stays "
               "passive";
      }
      return silent + ": this node takes over once an ARP probe finds the VIPs free";
    default:
      return silent + ": this node is starting (initdead)";
  }
}

namespace {

// "alerts 3 run, 1 failed, 0 dropped".
std::string hooks_text(const char* what, const v1::HookCounters& c) {
  return std::string(what) + " " + std::to_string(c.started()) + " run, " +
         std::to_string(c.failed()) + " failed, " + std::to_string(c.dropped()) + " dropped";
}

// A line naming hooks that failed or events dropped since the daemon started; "" when none.
std::string hook_trouble(const char* daemon, const v1::HookCounters& c) {
  if (c.failed() == 0 && c.dropped() == 0) return "";
  return std::string("hooks: ") + daemon + "'s: " + std::to_string(c.failed()) + " failed, " +
         std::to_string(c.dropped()) + " events dropped (see its log)\n";
}

}  // namespace

std::string render_overview_text(const overview& view, bool color) {
  std::ostringstream out;
  if (view.ha) {
    const auto& ha = *view.ha;
    out << "node " << ha.node_name() << ": " << role_name(ha.role()) << " (term " << ha.term()
        << ", priority " << ha.priority() << ", VIPs " << (ha.vips_held() ? "held" : "not held")
        << ")\n";
    if (ha.standalone()) {
      out << "peer: none (standalone, not paired)\n";
    } else if (ha.peer_alive()) {
      out << "peer: alive, " << role_name(ha.peer_role()) << " (last heartbeat "
          << ha.last_heartbeat_age_ms() << " ms ago)\n";
    } else {
      out << "peer: DEAD (last heartbeat "
          << (ha.last_heartbeat_age_ms() < 0
                  ? std::string("never")
                  : std::to_string(ha.last_heartbeat_age_ms()) + " ms ago")
          << ")\n";
    }
    if (const auto why = role_reason(ha); !why.empty()) out << "why: " << why << "\n";
    out << "config generation " << ha.config_generation();
    if (!ha.standalone()) out << " (peer " << ha.peer_config_generation() << ")";
    out << "\n";
    v1::HookCounters hooks = ha.alert_hooks();
    hooks.set_failed(hooks.failed() + ha.notify_hooks().failed());
    hooks.set_dropped(hooks.dropped() + ha.notify_hooks().dropped());
    out << hook_trouble("heartbeatd", hooks);
  } else {
    out << "heartbeatd: unreachable: " << view.ha_error << "\n";
  }
  out << "\n";
  for (const auto& warning : view.warnings) out << "warning: " << warning << "\n";
  if (view.proxy) {
    for (const auto& service : view.proxy->virtual_services()) {
      if (service.transparent_failures() == 0) continue;
      out << "warning: " << service.label() << ": " << service.transparent_failures()
          << " clients closed, their transparent connection was refused (proxyd's log says why)\n";
    }
  }
  if (!view.proxy) {
    out << "proxyd: unreachable: " << view.proxy_error << "\n";
    return out.str();
  }
  out << hook_trouble("proxyd", view.proxy->alert_hooks());
  if (view.proxy->virtual_services().empty()) {
    out << "no virtual services (generation " << view.proxy->generation() << ")\n";
    return out.str();
  }
  std::vector<row> rows{
      {"VIRTUAL SERVICE", "IP", "PORTS", "WEIGHT", "CONNS", "PROTOCOL", "PERSISTENCE", "STATE"}};
  for (const auto& service : view.proxy->virtual_services()) {
    const auto* settings = configured(view, service.label());
    std::string protocol = "tcp";
    std::string persistence = "-";
    if (settings) {
      protocol = protocol_text(*settings);
      persistence =
          config::names::name_of(config::names::persistence_mode, settings->persistence().mode());
    }
    rows.push_back({service.label(), service.ip(), ports_text(service.ports()), "",
                    std::to_string(service.current_connections()), protocol, persistence,
                    service_health(service)});
    for (const auto& server : service.real_servers()) {
      rows.push_back({"  " + server.label() + (server.backup() ? " (backup)" : ""), server.ip(),
                      server.port() == 0 ? "=" : std::to_string(server.port()),
                      std::to_string(server.weight()), std::to_string(server.current_connections()),
                      "", "", server_state(server)});
    }
    if (service.has_fallback()) {
      // Takes the clients only while no real server can.
      const auto& fallback = service.fallback();
      rows.push_back({"  (fallback)", fallback.ip(), std::to_string(fallback.port()), "",
                      std::to_string(fallback.current_connections()), "", "",
                      service_health(service) == "down" ? "serving" : "standby"});
    }
  }
  print_table(out, rows, color);
  return out.str();
}

std::string render_ha_text(const v1::HaStatus& ha) {
  std::ostringstream out;
  const auto yes = [](bool b) { return b ? "yes" : "no"; };
  out << "node:            " << ha.node_name() << " (id " << ha.node_id() << ", priority "
      << ha.priority() << ")\n"
      << "role:            " << role_name(ha.role()) << " (term " << ha.term() << ")"
      << (ha.want_active() ? ", make-active pending" : "") << "\n";
  if (ha.standalone()) {
    out << "peer:            none (standalone)\n";
  } else {
    out << "peer:            " << (ha.peer_alive() ? "alive" : "DEAD") << ", "
        << role_name(ha.peer_role()) << " (id " << ha.peer_node_id() << ", term " << ha.peer_term()
        << ", priority " << ha.peer_priority() << ")\n";
    for (const auto& path : ha.paths()) {
      out << "  path " << path.address() << ": " << (path.alive() ? "alive" : "dead")
          << ", last heard "
          << (path.last_heard_ms() < 0 ? std::string("never")
                                       : std::to_string(path.last_heard_ms()) + " ms ago")
          << "\n";
    }
    if (const auto why = role_reason(ha); !why.empty()) out << "why:             " << why << "\n";
  }
  out << "ping:            "
      << (ha.ping_configured() ? (ha.ping_ok() ? "ok" : "FAILING") : "not configured")
      << (ha.standalone() || !ha.ping_configured()
              ? ""
              : std::string(", peer ") + (ha.peer_ping_ok() ? "ok" : "FAILING"))
      << "\n"
      << "proxy ready:     " << yes(ha.proxy_ready())
      << (ha.standalone() ? "" : std::string(", peer ") + yes(ha.peer_proxy_ready())) << "\n"
      << "interface:       " << ha.interface() << "\n"
      << "VIPs:            ";
  for (int i = 0; i < ha.vips_size(); ++i) out << (i ? " " : "") << ha.vips(i);
  out << (ha.vips_held() ? " (held here)" : " (not held here)") << "\n";
  if (ha.peer_holds_vips_on_lan()) {
    out << "WARNING:         the peer answers for the VIPs on the LAN: heartbeat path broken\n";
  }
  out << "config:          generation " << ha.config_generation() << " (peer "
      << ha.peer_config_generation() << ")\n"
      << "heartbeats:      sent " << ha.sent() << ", received " << ha.received();
  for (const auto& [reason, count] :
       std::map<std::string, uint64_t>(ha.dropped().begin(), ha.dropped().end())) {
    out << ", dropped " << reason << " " << count;
  }
  out << "\n"
      << "takeovers:       " << ha.takeovers()
      << (ha.has_last_takeover() ? " (the last " + std::to_string(ha.last_takeover().outage_ms()) +
                                       " ms after the peer's last heartbeat)"
                                 : std::string())
      << ", ARP conflicts " << ha.conflicts() << "\n"
      << "hooks:           " << hooks_text("alerts", ha.alert_hooks()) << "; "
      << hooks_text("notify", ha.notify_hooks()) << "\n";
  return out.str();
}

std::string render_overview_json(const overview& view) {
  std::string out = "{\n  \"schema\": \"lbha.status.v1\",\n";
  out += "  \"ha\": " + (view.ha ? message_json(*view.ha) : std::string("null")) + ",\n";
  out += "  \"ha_error\": " + json_string(view.ha_error) + ",\n";
  out += "  \"proxy\": " + (view.proxy ? message_json(*view.proxy) : std::string("null")) + ",\n";
  out += "  \"proxy_error\": " + json_string(view.proxy_error) + ",\n";
  out += "  \"warnings\": [";
  for (std::size_t i = 0; i < view.warnings.size(); ++i) {
    out += (i ? ", " : "") + json_string(view.warnings[i]);
  }
  out += "]\n}\n";
  return out;
}

}  // namespace lbha::cli
