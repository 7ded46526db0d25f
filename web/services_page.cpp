#include "web/services_page.hpp"

#include "cli/config_diff.hpp"
#include "cli/config_edit.hpp"
#include "web/escape.hpp"

namespace lbha::web {

namespace {

std::string query_link(std::string_view path, std::string_view vip, std::string_view rip,
                       std::string_view text) {
  std::string href = std::string(path) + "?vip=" + url_encode(vip);
  if (!rip.empty()) href += "&rip=" + url_encode(rip);
  return "<a class=\"button\" href=\"" + html_escape(href) + "\">" + html_escape(text) + "</a>";
}

std::string html_row(const std::vector<std::string>& cells, std::string_view tag,
                     const std::string& actions) {
  std::string out = "<tr>";
  for (const auto& cell : cells) {
    out += "<" + std::string(tag) + ">" + html_escape(cell) + "</" + std::string(tag) + ">";
  }
  return out + actions + "</tr>\n";
}

std::string service_section(const v1::ClusterConfig& config, int index, const page_viewer& viewer) {
  const auto& service = config.virtual_services(index);
  const auto vip_rows = cli::vip_list_rows(config);
  const auto& label = service.label();
  std::string out = "<section class=\"service\" id=\"vip-" + html_escape(label) + "\">\n<h2>" +
                    html_escape(label) + "</h2>\n<table class=\"list\">\n";
  out += html_row(vip_rows.front(), "th", viewer.can_change() ? "<th></th>" : "");
  std::string actions;
  if (viewer.can_change()) {
    actions = "<td class=\"actions\">" +
              query_link("/lbadmin/services/vip/modify", label, "", "Modify") +
              query_link("/lbadmin/services/vip/delete", label, "", "Delete") + "</td>";
  }
  out += html_row(vip_rows.at(static_cast<std::size_t>(index) + 1), "td", actions);
  out += "</table>\n";
  const auto rip_rows = cli::rip_list_rows(service);
  out += "<table class=\"list rips\">\n";
  out += html_row(rip_rows.front(), "th", viewer.can_change() ? "<th></th>" : "");
  for (std::size_t i = 1; i < rip_rows.size(); ++i) {
    std::string rip_actions;
    if (viewer.can_change()) {
      const auto& rip = rip_rows[i].front();
      rip_actions = "<td class=\"actions\">" +
                    query_link("/lbadmin/services/rip/modify", label, rip, "Modify") +
                    query_link("/lbadmin/services/rip/delete", label, rip, "Delete") + "</td>";
    }
    out += html_row(rip_rows[i], "td", rip_actions);
  }
  out += "</table>\n";
  if (viewer.can_change()) {
    out +=
        "<p>" + query_link("/lbadmin/services/rip/add", label, "", "Add a real server") + "</p>\n";
  }
  return out + "</section>\n";
}

std::string value_of(const form_fields& fields, const std::string& name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + std::string(name) + "\" value=\"" + html_escape(value) +
         "\">";
}

std::string text_input(const std::string& name, const std::string& value, const std::string& help) {
  return "<label><span class=\"name\">" + html_escape(name) +
         "</span><input type=\"text\" name=\"" + html_escape(name) + "\" value=\"" +
         html_escape(value) + "\" placeholder=\"" + html_escape(help) + "\"><span class=\"help\">" +
         html_escape(help) + "</span></label>\n";
}

}  // namespace

std::string render_services_page(const node_operations::config_read& read,
                                 const page_viewer& viewer, std::string_view node,
                                 const page_notice& notice) {
  std::string body = render_notice(notice);
  if (!read.config) {
    body += "<p class=\"error\">cluster.yaml: " + html_escape(read.error) + "</p>\n";
    return render_page("Virtual Services", node, body, &viewer);
  }
  const auto& config = *read.config;
  if (viewer.can_change()) {
    body +=
        "<p><a class=\"button\" href=\"/lbadmin/services/vip/add\">Add a virtual "
        "service</a></p>\n";
  }
  if (config.virtual_services().empty()) body += "<p>No virtual services.</p>\n";
  for (int i = 0; i < config.virtual_services_size(); ++i) {
    body += service_section(config, i, viewer);
  }
  body += "<p class=\"generation\">Committed generation " + std::to_string(config.generation()) +
          ".</p>\n";
  return render_page("Virtual Services", node, body, &viewer);
}

std::string render_form_page(const edit_form& form, const form_page_state& state,
                             const page_viewer& viewer, std::string_view node) {
  const auto& in = state.submitted;
  std::string body;
  if (!state.current.empty()) {
    body += "<h2>Now</h2>\n<pre class=\"current\">" + html_escape(state.current) + "</pre>\n";
  }
  const std::string id = form.real_server ? "rip-form" : "vip-form";
  body += "<form id=\"" + id + "\" method=\"post\" action=\"" + std::string(form.path) +
          "\" class=\"edit\">\n" + csrf_field(viewer) + "\n";
  if (form.real_server || !form.names_new_label) {
    const auto vip = value_of(in, "vip");
    body +=
        hidden("vip", vip) + "<p>Virtual service <strong>" + html_escape(vip) + "</strong></p>\n";
  }
  if (form.real_server && !form.names_new_label) {
    const auto rip = value_of(in, "rip");
    body += hidden("rip", rip) + "<p>Real server <strong>" + html_escape(rip) + "</strong></p>\n";
  }
  if (form.names_new_label) {
    body += text_input("label", value_of(in, "label"),
                       form.real_server ? "the new real server's label (e.g. DA3)"
                                        : "the new service's label (e.g. WEB_VIP)");
  }
  if (form.kind == edit_kind::vip_modify || form.kind == edit_kind::rip_modify) {
    body += "<p class=\"help\">Fill in only what changes; an empty field keeps its value.</p>\n";
  }
  for (const auto& name : field_names(form)) {
    body += text_input(name, value_of(in, name), field_help(form, name));
  }
  body +=
      "<p class=\"buttons\"><button type=\"submit\" id=\"preview\" name=\"step\" "
      "value=\"preview\">Preview</button> ";
  if (!state.previewed.empty()) {
    body += hidden("previewed", state.previewed) +
            "<button type=\"submit\" id=\"commit\" name=\"step\" value=\"commit\">" +
            std::string(form.kind == edit_kind::vip_delete || form.kind == edit_kind::rip_delete
                            ? "Delete and commit"
                            : "Commit") +
            "</button> ";
  }
  body += "<a href=\"/lbadmin/services\">Cancel</a></p>\n";
  if (state.previewed.empty()) {
    body += "<p class=\"help\">Preview shows what the change changes; Commit follows.</p>\n";
  }
  body += "</form>\n";
  if (!state.command.empty()) {
    body += "<h2>Result</h2>\n<p class=\"command\"><code>" + html_escape(state.command) +
            "</code></p>\n";
  }
  body += render_notice(state.output);
  return render_page(std::string(form.title), node, body, &viewer);
}

std::string describe_virtual_service(const v1::ClusterConfig& config, const std::string& vip) {
  v1::ClusterConfig only;
  for (const auto& service : config.virtual_services()) {
    if (service.label() == vip) *only.add_virtual_services() = service;
  }
  if (only.virtual_services().empty()) return "";
  std::string out;
  for (const auto& change : cli::diff_configs(v1::ClusterConfig{}, only)) {
    if (!change.key.empty()) {
      out += change.key + ": " + change.after + "\n";
    } else if (!change.real_server.empty()) {
      out += "real server " + change.real_server + ": " + change.after + "\n";
    }
  }
  return out;
}

std::string describe_real_server(const v1::ClusterConfig& config, const std::string& vip,
                                 const std::string& rip) {
  v1::ClusterConfig with;
  for (const auto& service : config.virtual_services()) {
    if (service.label() == vip) *with.add_virtual_services() = service;
  }
  if (with.virtual_services().empty()) return "";
  v1::ClusterConfig without = with;
  auto* servers = without.mutable_virtual_services(0)->mutable_real_servers();
  for (int i = 0; i < servers->size(); ++i) {
    if (servers->Get(i).label() == rip) {
      servers->DeleteSubrange(i, 1);
      break;
    }
  }
  for (const auto& change : cli::diff_configs(without, with)) {
    if (change.real_server == rip && change.key.empty()) return change.after + "\n";
  }
  return "";
}

}  // namespace lbha::web
