#include "tests/lab/faults.hpp"

#include <charconv>

namespace lbha::lab {

namespace {

const char* proto_name(transport t) { return t == transport::udp ? "udp" : "tcp"; }

// One direction of a fault: the rules for frames entering by `in` and leaving by `out`.
// An empty port name matches any port (a fault between one node and all others).
void render_direction(std::string& script, const fault& f, const std::string& in,
                      const std::string& out) {
  std::string match;
  if (!in.empty()) match += "iifname \"" + in + "\" ";
  if (!out.empty()) match += "oifname \"" + out + "\" ";
  std::string action;
  if (f.drop_percent < 100) {
    action += "numgen random mod 100 < " + std::to_string(f.drop_percent) + " ";
  }
  action += "drop comment \"fault " + std::to_string(f.id) + "\"";
  if (f.scope.port) {
    const std::string p = proto_name(f.scope.port->proto);
    const std::string port = std::to_string(f.scope.port->port);
    // Two rules (either port may match), but a frame is judged once: with
    // random loss, two independent draws would drop more than asked for.
    script += "    " + match + p + " dport " + port + " " + action + "\n";
    script +=
        "    " + match + p + " dport != " + port + " " + p + " sport " + port + " " + action + "\n";
  } else {
    script += "    " + match + action + "\n";
  }
}

}  // namespace

std::optional<port_match> port_match::parse(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  port_match m;
  const auto proto = text.substr(0, slash);
  if (proto == "udp") {
    m.proto = transport::udp;
  } else if (proto == "tcp") {
    m.proto = transport::tcp;
  } else {
    return std::nullopt;
  }
  const auto number = text.substr(slash + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc{} || end != number.data() + number.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  m.port = static_cast<std::uint16_t>(value);
  return m;
}

std::string port_match::to_string() const {
  return std::string(proto_name(proto)) + "/" + std::to_string(port);
}

std::string fault::to_string() const {
  std::string text = "#" + std::to_string(id) + " " + from + (scope.one_way ? " -> " : " <-> ") +
                     (to.empty() ? "*" : to);
  if (scope.port) text += " " + scope.port->to_string();
  text += " drop " + std::to_string(drop_percent) + "%";
  return text;
}

std::string render_ruleset(const std::vector<fault>& faults) {
  std::string script = render_flush();
  script += "table bridge " + std::string(fault_table) + " {\n";
  script += "  chain forward {\n";
  script += "    type filter hook forward priority 0; policy accept;\n";
  for (const auto& f : faults) {
    render_direction(script, f, f.from, f.to);
    if (!f.scope.one_way) render_direction(script, f, f.to, f.from);
  }
  script += "  }\n}\n";
  return script;
}

std::string render_flush() {
  // Declaring the table first makes the delete succeed when it does not exist yet.
  const std::string table = "table bridge " + std::string(fault_table);
  return table + " {}\ndelete " + table + "\n";
}

}  // namespace lbha::lab
