#include "web/overview_page.hpp"

#include <cctype>

#include "cli/render.hpp"
#include "common/config/names.hpp"
#include "web/escape.hpp"

namespace lbha::web {

namespace {

std::string cell(std::string_view text) { return "<td>" + html_escape(text) + "</td>"; }

std::string number_cell(std::uint64_t n) {
  return "<td class=\"num\">" + std::to_string(n) + "</td>";
}

// The seed's arrows: up (or still serving) points up, anything down points down.
std::string mark_cell(std::string_view state) {
  const bool up = state == "up" || state == "degraded" || state == "drain";
  return up ? "<td class=\"mark\">&uarr;</td>" : "<td class=\"mark\">&darr;</td>";
}

std::string state_class(std::string_view state) {
  std::string out = "state-";
  for (char c : state) out += c == ' ' ? '-' : c;
  return out;
}

std::string upper(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

const v1::VirtualService* configured(const cli::overview& view, const std::string& label) {
  if (!view.config) return nullptr;
  for (const auto& service : view.config->virtual_services()) {
    if (service.label() == label) return &service;
  }
  return nullptr;
}

std::string state_buttons(const v1::VirtualServiceStatus& service,
                          const v1::RealServerStatus& server, const page_viewer& viewer) {
  if (!viewer.can_change()) return "<td class=\"actions\"></td>";
  std::string out = "<td class=\"actions\">";
  const struct {
    v1::RealServerState state;
    const char* value;
    const char* label;
  } buttons[] = {{v1::REAL_SERVER_STATE_DRAIN, "drain", "Drain"},
                 {v1::REAL_SERVER_STATE_HALT, "halt", "Halt"},
                 {v1::REAL_SERVER_STATE_ONLINE, "online", "Online"}};
  const auto current = server.state() == v1::REAL_SERVER_STATE_UNSPECIFIED
                           ? v1::REAL_SERVER_STATE_ONLINE
                           : server.state();
  for (const auto& b : buttons) {
    if (b.state == current) continue;
    out += "<form method=\"post\" action=\"/lbadmin/real-server/state\">" + csrf_field(viewer) +
           "<input type=\"hidden\" name=\"vip\" value=\"" + html_escape(service.label()) +
           "\"><input type=\"hidden\" name=\"rip\" value=\"" + html_escape(server.label()) +
           "\"><button type=\"submit\" name=\"state\" value=\"" + b.value + "\">" + b.label +
           "</button></form>";
  }
  return out + "</td>";
}

std::string ha_section(const cli::overview& view) {
  if (!view.ha) {
    return "<section class=\"ha\"><p class=\"error\">heartbeatd: unreachable: " +
           html_escape(view.ha_error) + "</p></section>\n";
  }
  const auto& ha = *view.ha;
  const std::string role = cli::role_name(ha.role());
  std::string out = "<section class=\"ha\">\n<p>This node <strong>" + html_escape(ha.node_name()) +
                    "</strong>: <span class=\"role role-" + html_escape(role) + "\">" +
                    html_escape(role) + "</span> (term " + std::to_string(ha.term()) + ", VIPs " +
                    (ha.vips_held() ? "held here" : "not held here") + ", config generation " +
                    std::to_string(ha.config_generation()) + ")</p>\n<p>Peer: ";
  if (ha.standalone()) {
    out += "none (standalone, not paired)";
  } else if (ha.peer_alive()) {
    const std::string peer_role = cli::role_name(ha.peer_role());
    out += "<span class=\"role role-" + html_escape(peer_role) + "\">" + html_escape(peer_role) +
           "</span>, alive (last heartbeat " + std::to_string(ha.last_heartbeat_age_ms()) +
           " ms ago, config generation " + std::to_string(ha.peer_config_generation()) + ")";
  } else {
    out +=
        "<span class=\"role role-DEAD\">DEAD</span> (last heartbeat " +
        (ha.last_heartbeat_age_ms() < 0 ? std::string("never")
                                        : std::to_string(ha.last_heartbeat_age_ms()) + " ms ago") +
        ")";
  }
  out += "</p>\n";
  if (const auto why = cli::role_reason(ha); !why.empty())
    out += "<p class=\"why\">" + html_escape(why) + "</p>\n";
  return out + "</section>\n";
}

std::string graph_cell(const overview_graphs& graphs, const std::string& label) {
  const auto* samples = graphs.history ? graphs.history->of(label) : nullptr;
  return "<td class=\"graph\">" +
         (samples ? render_connections_graph(*samples, graphs.now) : std::string()) + "</td>";
}

std::string services_table(const cli::overview& view, const page_viewer& viewer,
                           const overview_graphs& graphs) {
  if (!view.proxy) {
    return "<p class=\"error\">proxyd: unreachable: " + html_escape(view.proxy_error) + "</p>\n";
  }
  if (view.proxy->virtual_services().empty()) {
    return "<p>No virtual services (generation " + std::to_string(view.proxy->generation()) +
           ").</p>\n";
  }
  std::string out = "<table class=\"overview\">\n";
  for (const auto& service : view.proxy->virtual_services()) {
    const auto* settings = configured(view, service.label());
    const std::string protocol =
        settings ? upper(config::names::name_of(config::names::protocol, settings->protocol()))
                 : "TCP";
    const std::string health = cli::service_health(service);
    out +=
        "<tr class=\"head\"><th></th><th>VIRTUAL SERVICE</th><th>IP</th><th>PORTS</th>"
        "<th>CONNS</th><th>PROTOCOL</th><th>METHOD</th><th>MODE</th><th>LAST HOUR</th></tr>\n";
    out += "<tr class=\"vip " + state_class(health) + "\" title=\"" + html_escape(health) + "\">" +
           mark_cell(health) + cell(service.label()) + cell(service.ip()) +
           cell(cli::ports_text(service.ports())) + number_cell(service.current_connections()) +
           cell(protocol) + cell("Layer 7") + cell("Proxy") + graph_cell(graphs, service.label()) +
           "</tr>\n";
    out +=
        "<tr class=\"head rs\"><th></th><th>REAL SERVER</th><th>IP</th><th>PORTS</th>"
        "<th>WEIGHT</th><th>CONNS</th><th>STATE</th><th></th></tr>\n";
    for (const auto& server : service.real_servers()) {
      const std::string state = cli::server_state(server);
      const std::string port =
          server.port() == 0 ? cli::ports_text(service.ports()) : std::to_string(server.port());
      out += "<tr class=\"rip " + state_class(state) + "\">" + mark_cell(state) +
             cell(server.label() + (server.backup() ? " (backup)" : "")) + cell(server.ip()) +
             cell(port) + number_cell(server.weight()) + number_cell(server.current_connections()) +
             cell(state) + state_buttons(service, server, viewer) + "</tr>\n";
    }
    if (service.has_fallback()) {
      const auto& fallback = service.fallback();
      const std::string state = health == "down" ? "serving" : "standby";
      out += "<tr class=\"rip fallback " + state_class(state) + "\"><td class=\"mark\"></td>" +
             cell("(fallback)") + cell(fallback.ip()) + cell(std::to_string(fallback.port())) +
             "<td></td>" + number_cell(fallback.current_connections()) + cell(state) +
             "<td></td></tr>\n";
    }
  }
  return out + "</table>\n";
}

}  // namespace

std::string render_overview_fragment(const cli::overview& view, const page_viewer& viewer,
                                     const overview_graphs& graphs) {
  return ha_section(view) + services_table(view, viewer, graphs);
}

std::string render_overview_page(const cli::overview& view, const page_viewer& viewer,
                                 std::string_view node, const page_notice& notice,
                                 const overview_graphs& graphs) {
  std::string body = render_notice(notice);
  body += "<div id=\"overview\" data-poll=\"/lbadmin/api/overview\">\n" +
          render_overview_fragment(view, viewer, graphs) + "</div>\n";
  body += "<p class=\"refresh\">Updated every 2 s. <span id=\"updated\"></span></p>\n";
  return render_page("System Overview", node, body, &viewer);
}

std::string render_overview_json(const cli::overview& view, const page_viewer& viewer,
                                 const overview_graphs& graphs) {
  return "{\"schema\": \"lbha.webui.overview.v1\", \"html\": " +
         cli::json_string(render_overview_fragment(view, viewer, graphs)) +
         ", \"status\": " + cli::render_overview_json(view) + "}\n";
}

}  // namespace lbha::web
