// The log-in page: user name and password, and why the last try failed.
#pragma once

#include <string>
#include <string_view>

namespace lbha::web {

// `message` is text (escaped here); `user` refills the name field.
std::string render_login_page(std::string_view node, std::string_view user,
                              std::string_view message);

}  // namespace lbha::web
