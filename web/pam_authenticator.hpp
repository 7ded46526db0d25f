// pam_authenticator: the WebUI's log-in against the system's accounts
// through PAM (service `lbha-webd`, /etc/pam.d/lbha-webd), then the user's
// groups (unix_groups.hpp). Each call is its own PAM transaction: start,
// authenticate, check the account (expired, locked), end.
#pragma once

#include <string>

#include "web/authenticator.hpp"

namespace lbha::web {

class pam_authenticator final : public authenticator {
 public:
  explicit pam_authenticator(std::string service = "lbha-webd") : service_(std::move(service)) {}
  result<access> authenticate(const std::string& user, const std::string& password) override;

 private:
  std::string service_;
};

}  // namespace lbha::web
