#include "web/pam_authenticator.hpp"

#include <security/pam_appl.h>

#include <cstdlib>
#include <cstring>

#include "web/errc.hpp"
#include "web/unix_groups.hpp"

namespace lbha::web {

namespace {

// PAM asks; we answer every hidden prompt with the password and every
// visible one with nothing. Messages to show are dropped: the WebUI says
// only "wrong user name or password", whatever the module thought.
int converse(int count, const pam_message** messages, pam_response** responses, void* data) {
  if (count <= 0 || count > PAM_MAX_NUM_MSG) return PAM_CONV_ERR;
  auto* replies = static_cast<pam_response*>(std::calloc(count, sizeof(pam_response)));
  if (replies == nullptr) return PAM_BUF_ERR;
  const auto* password = static_cast<const std::string*>(data);
  for (int i = 0; i < count; ++i) {
    if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF) {
      replies[i].resp = strdup(password->c_str());  // PAM frees it
      if (replies[i].resp == nullptr) {
        for (int j = 0; j < i; ++j) std::free(replies[j].resp);
        std::free(replies);
        return PAM_BUF_ERR;
      }
    }
  }
  *responses = replies;
  return PAM_SUCCESS;
}

}  // namespace

result<access> pam_authenticator::authenticate(const std::string& user,
                                               const std::string& password) {
  if (user.empty() || password.empty()) return error(errc::bad_credentials);
  const pam_conv conversation{converse, const_cast<std::string*>(&password)};
  pam_handle_t* handle = nullptr;
  int rc = pam_start(service_.c_str(), user.c_str(), &conversation, &handle);
  if (rc != PAM_SUCCESS) return error(errc::auth_unavailable, "pam_start failed");
  rc = pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  if (rc == PAM_SUCCESS) rc = pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
  const std::string why = pam_strerror(handle, rc);
  pam_end(handle, rc);
  switch (rc) {
    case PAM_SUCCESS:
      break;
    case PAM_AUTH_ERR:
    case PAM_USER_UNKNOWN:
    case PAM_MAXTRIES:
    case PAM_CRED_INSUFFICIENT:
      return error(errc::bad_credentials);
    case PAM_ACCT_EXPIRED:
    case PAM_NEW_AUTHTOK_REQD:
    case PAM_PERM_DENIED:
      return error(errc::not_permitted, "account refused by PAM: " + why);
    default:
      return error(errc::auth_unavailable, "PAM: " + why);
  }
  const auto level = access_of_user(user);
  if (!level) return error(errc::not_permitted);
  return *level;
}

}  // namespace lbha::web
