// authenticator: the seam between the WebUI's log-in and the system's
// accounts. lbha-webd uses pam_authenticator (PAM service `lbha-webd`, then
// the user's Unix groups); tests use a double that knows a few users.
#pragma once

#include <string>

#include "common/result.hpp"
#include "web/session_store.hpp"

namespace lbha::web {

class authenticator {
 public:
  virtual ~authenticator() = default;
  // The access `user` gets with `password`: errc::bad_credentials (unknown
  // user and wrong password alike), errc::not_permitted (in neither group),
  // errc::auth_unavailable. May block for seconds (PAM delays a failure):
  // call it off the io thread.
  virtual result<access> authenticate(const std::string& user, const std::string& password) = 0;
};

}  // namespace lbha::web
