#include "web/page_layout.hpp"

#include "web/escape.hpp"

namespace lbha::web {

std::string csrf_field(const page_viewer& viewer) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(viewer.csrf_token) + "\">";
}

std::string render_page(std::string_view title, std::string_view node, std::string_view body,
                        const page_viewer* viewer) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      html_escape(title) + " - " + html_escape(node) +
      " - lbha</title>\n"
      "<link rel=\"stylesheet\" href=\"/lbadmin/static/lbha.css\">\n"
      "<script src=\"/lbadmin/static/lbha.js\" defer></script>\n"
      "</head>\n<body>\n<header class=\"bar\">\n<span class=\"brand\">lbha</span>\n"
      "<span class=\"node\">" +
      html_escape(node) + "</span>\n";
  if (viewer) {
    out += "<nav><a href=\"/lbadmin/\">System Overview</a></nav>\n";
    out += "<span class=\"user\">" + html_escape(viewer->user) +
           (viewer->can_change() ? "" : " (read only)") + "</span>\n";
    out += "<form method=\"post\" action=\"/lbadmin/logout\" class=\"logout\">" +
           csrf_field(*viewer) + "<button type=\"submit\">Log out</button></form>\n";
  }
  out += "</header>\n<main>\n<h1>" + html_escape(title) + "</h1>\n";
  out += body;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace lbha::web
