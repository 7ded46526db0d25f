// Escaping for everything lbha-webd writes into a page: every value that
// reaches HTML (labels, addresses, user names, daemon messages) goes through
// html_escape, so a label or an error text can never become markup.
#pragma once

#include <string>
#include <string_view>

namespace lbha::web {

// & < > " ' as entities: safe in element text and in quoted attribute values.
std::string html_escape(std::string_view text);

// application/x-www-form-urlencoded and cookie values: %XX and '+' as space.
// Invalid escapes are kept as they are.
std::string url_decode(std::string_view text);

}  // namespace lbha::web
