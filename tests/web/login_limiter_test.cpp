// Log-in failures: 5 in a row for a client or a user mean a 30 s wait, on an
// injected clock.
#include "web/login_limiter.hpp"

#include <gtest/gtest.h>

namespace lbha::web {
namespace {

using namespace std::chrono_literals;

TEST(web_login_limiter, five_failures_mean_thirty_seconds) {
  manual_clock clock;
  login_limiter limiter(clock);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 0s);
    limiter.failed("192.0.2.50", "admin");
  }
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 0s);
  limiter.failed("192.0.2.50", "admin");
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 30s);
  clock.advance(10500ms);
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 20s);  // rounded up
  clock.advance(19500ms);
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 0s);
}

TEST(web_login_limiter, counts_per_user_across_clients) {
  manual_clock clock;
  login_limiter limiter(clock);
  for (int i = 0; i < 5; ++i) limiter.failed("192.0.2." + std::to_string(50 + i), "admin");
  EXPECT_EQ(limiter.wait_for("192.0.2.99", "admin"), 30s);
  EXPECT_EQ(limiter.wait_for("192.0.2.99", "operator"), 0s);
}

TEST(web_login_limiter, counts_per_client_across_users) {
  manual_clock clock;
  login_limiter limiter(clock);
  for (int i = 0; i < 5; ++i) limiter.failed("192.0.2.50", "user" + std::to_string(i));
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "someone-else"), 30s);
  EXPECT_EQ(limiter.wait_for("192.0.2.51", "someone-else"), 0s);
}

TEST(web_login_limiter, success_clears_both_counts) {
  manual_clock clock;
  login_limiter limiter(clock);
  for (int i = 0; i < 4; ++i) limiter.failed("192.0.2.50", "admin");
  limiter.succeeded("192.0.2.50", "admin");
  limiter.failed("192.0.2.50", "admin");
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 0s);
}

TEST(web_login_limiter, old_failures_are_forgotten) {
  manual_clock clock;
  login_limiter limiter(clock, {.failures = 5, .lockout = 30s, .window = 60s, .max_entries = 100});
  for (int i = 0; i < 4; ++i) limiter.failed("192.0.2.50", "admin");
  clock.advance(61s);
  limiter.failed("192.0.2.50", "admin");
  EXPECT_EQ(limiter.wait_for("192.0.2.50", "admin"), 0s);
}

TEST(web_login_limiter, tables_stay_bounded) {
  manual_clock clock;
  login_limiter limiter(clock, {.failures = 2, .lockout = 30s, .window = 60s, .max_entries = 3});
  for (int i = 0; i < 50; ++i) {
    limiter.failed("198.51.100." + std::to_string(i), "u" + std::to_string(i));
    clock.advance(1s);
  }
  // The newest entries survive: one more failure locks the latest client out.
  limiter.failed("198.51.100.49", "other");
  EXPECT_EQ(limiter.wait_for("198.51.100.49", "nobody"), 30s);
}

}  // namespace
}  // namespace lbha::web
