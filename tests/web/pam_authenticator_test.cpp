// The real PAM path, as far as a test machine allows: an unknown user is
// refused (through whatever /etc/pam.d/other says for an unconfigured
// service), an empty password never reaches PAM, and group lookup of an
// unknown user gives no access. A real log-in is the lab's to prove.
#include "web/pam_authenticator.hpp"

#include <gtest/gtest.h>

#include "web/errc.hpp"
#include "web/unix_groups.hpp"

namespace lbha::web {
namespace {

TEST(web_pam, an_unknown_user_is_refused) {
  pam_authenticator pam("lbha-webd-unit-test");
  auto r = pam.authenticate("lbha-no-such-user", "not-a-password");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error(), errc::not_permitted);
}

TEST(web_pam, an_empty_password_is_refused_before_pam) {
  pam_authenticator pam("lbha-webd-unit-test");
  auto r = pam.authenticate("root", "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::bad_credentials);
}

TEST(web_groups, an_unknown_user_has_no_access) {
  EXPECT_FALSE(access_of_user("lbha-no-such-user"));
}

}  // namespace
}  // namespace lbha::web
