// The two inputs a request carries besides its path: form fields
// (application/x-www-form-urlencoded bodies: the log-in and button forms)
// and cookies (the session id).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace lbha::web {

// "a=1&b=x+y" -> {a: "1", b: "x y"}. A repeated field keeps its first value.
std::map<std::string, std::string> parse_form(std::string_view body);

// The value of cookie `name` in a Cookie header ("a=1; lbha_session=..."), if any.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

}  // namespace lbha::web
