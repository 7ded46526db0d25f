// Why lbha-webd refused a log-in or could not serve: the message names the
// file, the user or the client, never a password.
#pragma once

#include <system_error>

namespace lbha::web {

enum class errc {
  bad_credentials = 1,  // unknown user or wrong password (one answer for both)
  not_permitted,        // the password is right but the user is in neither lbha group
  auth_unavailable,     // PAM itself failed (its configuration, a module)
  rate_limited,         // too many failed log-ins from this client or for this user
  certificate,          // the certificate or key files are unusable
};

const std::error_category& web_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), web_category()}; }

}  // namespace lbha::web

template <>
struct std::is_error_code_enum<lbha::web::errc> : std::true_type {};
