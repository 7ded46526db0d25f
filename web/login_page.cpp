#include "web/login_page.hpp"

#include "web/escape.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

std::string render_login_page(std::string_view node, std::string_view user,
                              std::string_view message) {
  std::string body;
  if (!message.empty()) body += "<p class=\"error\">" + html_escape(message) + "</p>\n";
  body +=
      "<form method=\"post\" action=\"/lbadmin/login\" class=\"login\">\n"
      "<label>User name <input name=\"user\" autocomplete=\"username\" required autofocus "
      "value=\"" +
      html_escape(user) +
      "\"></label>\n"
      "<label>Password <input name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required></label>\n"
      "<button type=\"submit\">Log in</button>\n</form>\n"
      "<p class=\"hint\">Local Unix accounts: members of group lbha-admin may change the "
      "node, members of lbha may look.</p>\n";
  return render_page("Log in", node, body, nullptr);
}

}  // namespace lbha::web
