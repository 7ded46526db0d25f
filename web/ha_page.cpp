#include "web/ha_page.hpp"

#include "cli/pair_status_view.hpp"
#include "cli/status_view.hpp"
#include "web/escape.hpp"

namespace lbha::web {

namespace {

// A daemon's status as lbctl prints it, or why the daemon did not answer.
template <typename Status, typename Render>
std::string status_block(std::string_view heading, const std::optional<Status>& status,
                         const std::string& error, Render render) {
  return "<h2>" + html_escape(heading) + "</h2>\n<pre class=\"status " +
         (status ? "ok" : "failed") + "\">" +
         html_escape(status ? render(*status) : "lbctl: " + error + "\n") + "</pre>\n";
}

std::string pair_start_form(const page_viewer& viewer) {
  return "<h2>Pair a peer</h2>\n<p>This node is not paired. Give the address of the peer's "
         "sshd; its host key is shown to confirm before anything is sent.</p>\n"
         "<form id=\"pair-form\" method=\"post\" action=\"/lbadmin/ha/pair\" class=\"edit\">" +
         csrf_field(viewer) +
         "<input type=\"hidden\" name=\"step\" value=\"host-key\">"
         "<label><span class=\"name\">peer</span><input type=\"text\" name=\"peer\" "
         "placeholder=\"the secondary's address, e.g. 192.0.2.12\"></label>\n"
         "<p class=\"buttons\"><button type=\"submit\" id=\"read-host-key\">Read its host "
         "key</button></p></form>\n";
}

}  // namespace

const std::vector<ha_action>& ha_actions() {
  static const std::vector<ha_action> actions{
      {"make-active",
       "Make Active",
       "Make this node active? The peer is asked to release the VIPs first, then this node "
       "takes them over.",
       {"make-active"}},
      {"make-passive",
       "Make Passive",
       "Make this node passive? The peer takes over the VIPs.",
       {"make-passive"}},
      {"break-pair",
       "Break Clustered Pair",
       "Break the clustered pair? Both nodes forget each other: no more failover or config "
       "replication until they are paired again.",
       {"unpair"}},
  };
  return actions;
}

const ha_action* ha_action_named(std::string_view name) {
  for (const auto& action : ha_actions()) {
    if (action.name == name) return &action;
  }
  return nullptr;
}

std::optional<std::string> fingerprint_in(std::string_view shown) {
  const auto at = shown.find("SHA256:");
  if (at == std::string_view::npos) return std::nullopt;
  auto end = shown.find_first_of(" \n", at);
  if (end == std::string_view::npos) end = shown.size();
  return std::string(shown.substr(at, end - at));
}

std::string render_ha_page(const node_read& read, const page_viewer& viewer, std::string_view node,
                           const page_notice& notice) {
  const bool paired = read.replication && read.replication->paired();
  std::string body = render_notice(notice);
  if (viewer.can_change() && paired) {
    body += "<p class=\"buttons\">";
    for (const auto& action : ha_actions()) {
      body += "<a class=\"button\" id=\"" + std::string(action.name) +
              "\" href=\"/lbadmin/ha/confirm?action=" + std::string(action.name) + "\">" +
              std::string(action.label) + "</a> ";
    }
    body += "</p>\n";
  }
  body += status_block("This node and the peer", read.overview.ha, read.overview.ha_error,
                       cli::render_ha_text);
  body += status_block("Configuration replication", read.replication, read.replication_error,
                       cli::render_replication_text);
  body += status_block("Persistence table sync", read.sync, read.sync_error, cli::render_sync_text);
  // Only a node replicatord says is unpaired offers pairing.
  if (viewer.can_change() && read.replication && !paired) body += pair_start_form(viewer);
  return render_page("High Availability", node, body, &viewer);
}

std::string render_ha_confirm_page(const ha_action& action, const page_viewer& viewer,
                                   std::string_view node) {
  const std::string body =
      "<p class=\"question\">" + html_escape(action.question) +
      "</p>\n<form method=\"post\" action=\"/lbadmin/ha/action\">" + csrf_field(viewer) +
      "<input type=\"hidden\" name=\"action\" value=\"" + std::string(action.name) +
      "\"><p class=\"buttons\"><button type=\"submit\" id=\"confirm\">" +
      html_escape(action.label) +
      "</button> <a href=\"/lbadmin/ha\" id=\"cancel\">Cancel</a></p></form>\n";
  return render_page(action.label, node, body, &viewer);
}

std::string render_pair_page(std::string_view peer, const node_operations::command_run& shown,
                             const std::optional<std::string>& fingerprint,
                             const page_viewer& viewer, std::string_view node) {
  std::string body = "<pre id=\"lbctl-output\" class=\"" +
                     std::string(shown.ok() ? "ok" : "failed") + "\">" + html_escape(shown.text()) +
                     "</pre>\n";
  if (fingerprint) {
    body +=
        "<p class=\"question\">Is <code>" + html_escape(*fingerprint) + "</code> " +
        html_escape(peer) +
        "'s host key? Compare it on the peer first. Only then give the password of its SSH "
        "user (node.yaml ssh.user, default loadbalancer): it is sent to that key only.</p>\n"
        "<form id=\"pair-confirm\" method=\"post\" action=\"/lbadmin/ha/pair\" class=\"edit\">" +
        csrf_field(viewer) +
        "<input type=\"hidden\" name=\"step\" value=\"pair\"><input type=\"hidden\" "
        "name=\"peer\" value=\"" +
        html_escape(peer) + "\"><input type=\"hidden\" name=\"fingerprint\" value=\"" +
        html_escape(*fingerprint) +
        "\"><label><span class=\"name\">password</span><input type=\"password\" "
        "name=\"password\" autocomplete=\"off\"></label>\n<label><input type=\"checkbox\" "
        "name=\"lock\" value=\"yes\" checked> lock the password on the peer once paired "
        "(usermod -L)</label>\n<p class=\"buttons\"><button type=\"submit\" "
        "id=\"confirm-pair\">It is: pair</button> <a href=\"/lbadmin/ha\">Cancel</a></p>"
        "</form>\n";
  } else {
    body += "<p><a href=\"/lbadmin/ha\">Back</a></p>\n";
  }
  return render_page("Pair a peer", node, body, &viewer);
}

}  // namespace lbha::web
