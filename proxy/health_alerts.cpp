#include "proxy/health_alerts.hpp"

namespace lbha::proxy {

namespace {

bool none_up(const pool& p) {
  for (const auto& server : p.servers) {
    if (server->healthy()) return false;
  }
  return true;
}

// A server (or fallback) without a port of its own takes the client's: every port of the VIP.
std::string port_of(const pool& p, std::uint16_t port) {
  if (port != 0) return std::to_string(port);
  std::string ports;
  for (const auto vip_port : p.settings.ports) {
    ports += (ports.empty() ? "" : ",") + std::to_string(vip_port);
  }
  return ports;
}

}  // namespace

void health_alerts::watch(const std::string& service, const pool& p) {
  down_[service] = !p.servers.empty() && none_up(p);
}

void health_alerts::server_changed(const std::string& service, const pool& p,
                                   const real_server_state& server, const std::string& reason) {
  const bool up = server.healthy();
  const std::string address = server.ip().to_string();
  const std::string port = port_of(p, server.port());
  emit({up ? "real_server_up" : "real_server_down",
        "Real server " + server.label() + " (" + address + ") of service " + service + " is " +
            (up ? "up" : "down") + ": " + reason + ".",
        {{"SERVICE", service},
         {"REAL_SERVER", server.label()},
         {"ADDRESS", address},
         {"PORT", port},
         {"REASON", reason}}});

  const bool now_down = none_up(p);
  bool& was_down = down_[service];
  if (now_down == was_down) return;
  was_down = now_down;
  const std::string vip = p.settings.ip.to_string();
  if (!now_down) {
    emit({"service_up",
          "Service " + service + " (" + vip + ") has a real server up again: " + server.label() +
              ".",
          {{"SERVICE", service}, {"ADDRESS", vip}, {"REAL_SERVER", server.label()}}});
    return;
  }
  emit({"service_down",
        "Service " + service + " (" + vip + ") has no real server up" +
            (p.settings.fallback ? "; clients go to the fallback server."
                                 : "; clients are refused."),
        {{"SERVICE", service}, {"ADDRESS", vip}, {"REASON", reason}}});
  if (p.settings.fallback) {
    const auto& fallback = *p.settings.fallback;
    const std::string fallback_port = port_of(p, fallback.port());
    emit({"fallback_in_use",
          "Service " + service + " (" + vip + ") sends its clients to the fallback server " +
              fallback.address().to_string() + ".",
          {{"SERVICE", service},
           {"ADDRESS", vip},
           {"FALLBACK_ADDRESS", fallback.address().to_string()},
           {"FALLBACK_PORT", fallback_port}}});
  }
}

void health_alerts::emit(alert_event event) const {
  if (sink_) sink_(std::move(event));
}

}  // namespace lbha::proxy
