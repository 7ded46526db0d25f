#include "web/config_pages.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "web/escape.hpp"

namespace lbha::web {

namespace {

constexpr std::array<std::string_view, 5> daemons = {"heartbeatd", "proxyd", "syncd", "replicatord",
                                                     "webd"};
constexpr std::array<std::string_view, 8> priorities = {"emerg",   "alert",  "crit", "err",
                                                        "warning", "notice", "info", "debug"};
constexpr int max_lines = 2000;

bool names_secret(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"password", "secret", "token", "passphrase", "psk"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string pre(std::string_view id, const node_operations::command_run& run, bool masked) {
  return "<pre id=\"" + std::string(id) + "\" class=\"file " + (run.ok() ? "ok" : "failed") +
         "\">" + html_escape(masked ? mask_secrets(run.text()) : run.text()) + "</pre>\n";
}

std::string select(std::string_view name, auto choices, std::string_view chosen) {
  std::string out = "<select name=\"" + std::string(name) + "\">";
  for (std::string_view choice : choices) {
    out += "<option" + std::string(choice == chosen ? " selected" : "") + ">" +
           std::string(choice) + "</option>";
  }
  return out + "</select>";
}

}  // namespace

std::string mask_secrets(std::string_view yaml) {
  std::string out;
  std::size_t start = 0;
  while (start < yaml.size()) {
    auto end = yaml.find('\n', start);
    if (end == std::string_view::npos) end = yaml.size();
    std::string_view line = yaml.substr(start, end - start);
    auto key_start = line.find_first_not_of(" -");
    const auto colon = line.find(':');
    if (key_start != std::string_view::npos && colon != std::string_view::npos &&
        colon > key_start && colon + 1 < line.size() &&
        names_secret(line.substr(key_start, colon - key_start))) {
      out += std::string(line.substr(0, colon + 1)) + " ********";
    } else {
      out += line;
    }
    if (end < yaml.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

std::string render_config_page(const node_operations::configuration_view& view,
                               const page_viewer& viewer, std::string_view node) {
  const std::string body =
      "<p>As committed and in force, every default filled in (<code>lbctl config show</code>). "
      "Change it with the Virtual Services page or lbctl.</p>\n<h2>cluster.yaml (both "
      "nodes)</h2>\n" +
      pre("cluster-yaml", view.cluster, true) + "<h2>node.yaml (this node)</h2>\n" +
      pre("node-yaml", view.node, true);
  return render_page("View Configuration", node, body, &viewer);
}

std::string render_history_page(const node_operations::command_run& history,
                                std::optional<std::uint64_t> generation,
                                const node_operations::command_run* shown,
                                const page_viewer& viewer, std::string_view node) {
  std::string body =
      "<p>The committed generations this node keeps, newest first (<code>lbctl config "
      "history</code>); * is the one in force.</p>\n" +
      pre("history", history, false) +
      "<form method=\"get\" action=\"/lbadmin/history\"><label>Show generation <input "
      "type=\"number\" min=\"1\" name=\"generation\" value=\"" +
      (generation ? std::to_string(*generation) : std::string()) +
      "\"></label> <button type=\"submit\">Show</button></form>\n";
  if (generation && shown) {
    body += "<h2>Generation " + std::to_string(*generation) + "</h2>\n" +
            pre("generation", *shown, true);
  }
  return render_page("History", node, body, &viewer);
}

std::optional<node_operations::log_query> parse_log_query(const form_fields& fields,
                                                          std::string& error) {
  node_operations::log_query query{.daemon = "heartbeatd", .priority = "info", .lines = 200};
  if (auto it = fields.find("daemon"); it != fields.end() && !it->second.empty()) {
    if (std::find(daemons.begin(), daemons.end(), it->second) == daemons.end()) {
      error = "daemon is heartbeatd, proxyd, syncd, replicatord or webd";
      return std::nullopt;
    }
    query.daemon = it->second;
  }
  if (auto it = fields.find("priority"); it != fields.end() && !it->second.empty()) {
    if (std::find(priorities.begin(), priorities.end(), it->second) == priorities.end()) {
      error = "priority is emerg, alert, crit, err, warning, notice, info or debug";
      return std::nullopt;
    }
    query.priority = it->second;
  }
  if (auto it = fields.find("lines"); it != fields.end() && !it->second.empty()) {
    const auto& text = it->second;
    const bool digits = text.size() <= 4 && std::all_of(text.begin(), text.end(), [](char c) {
                          return c >= '0' && c <= '9';
                        });
    if (!digits || std::stoi(text) < 1 || std::stoi(text) > max_lines) {
      error = "lines is 1.." + std::to_string(max_lines);
      return std::nullopt;
    }
    query.lines = std::stoi(text);
  }
  return query;
}

std::string render_logs_page(const node_operations::log_query& query,
                             const node_operations::command_run& logs, const page_viewer& viewer,
                             std::string_view node) {
  const std::string body =
      "<form method=\"get\" action=\"/lbadmin/logs\" id=\"logs-form\"><label>Daemon " +
      select("daemon", daemons, query.daemon) + "</label> <label>Level " +
      select("priority", priorities, query.priority) +
      " or worse</label> <label>Lines <input type=\"number\" name=\"lines\" min=\"1\" max=\"" +
      std::to_string(max_lines) + "\" value=\"" + std::to_string(query.lines) +
      "\"></label> <button type=\"submit\">Show</button></form>\n<p class=\"command\"><code>"
      "journalctl -u lbha-" +
      html_escape(query.daemon) + ".service -p " + html_escape(query.priority) + " -n " +
      std::to_string(query.lines) + "</code></p>\n" +
      pre("logs",
          logs.ok() && logs.text().empty()
              ? node_operations::command_run{0,
                                             "(no journal lines of lbha-" + query.daemon +
                                                 ".service at " + query.priority + " or worse)\n",
                                             ""}
              : logs,
          false);
  return render_page("Logs", node, body, &viewer);
}

}  // namespace lbha::web
