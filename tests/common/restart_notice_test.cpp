#include "common/restart_notice.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace lbha {
namespace {

using namespace std::chrono_literals;

class restart_notice_test : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lbha-restart-notice-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(restart_notice_test, announced_until_its_bound_and_no_longer_once_cleared) {
  EXPECT_FALSE(restart_announced(dir_));  // no file: no restart
  restart_notice notice;
  ASSERT_TRUE(notice.open(dir_));
  EXPECT_FALSE(restart_announced(dir_));
  notice.announce(5s);
  const auto now = std::chrono::steady_clock::now();
  EXPECT_TRUE(restart_announced(dir_, now));
  EXPECT_FALSE(restart_announced(dir_, now + 6s));  // the bound is over: a failed proxyd
  notice.clear();
  EXPECT_FALSE(restart_announced(dir_, now));
}

TEST_F(restart_notice_test, the_announcement_outlives_the_old_proxyd_until_the_new_one_clears_it) {
  {
    restart_notice old;
    ASSERT_TRUE(old.open(dir_));
    old.announce(5s);
  }
  EXPECT_TRUE(restart_announced(dir_));
  restart_notice next;
  ASSERT_TRUE(next.open(dir_));
  EXPECT_TRUE(restart_announced(dir_));  // not yet answering on its socket
  next.clear();
  EXPECT_FALSE(restart_announced(dir_));
}

TEST_F(restart_notice_test, anything_but_a_deadline_is_no_restart) {
  std::ofstream(restart_notice_path(dir_)) << "soon\n";
  EXPECT_FALSE(restart_announced(dir_));
}

}  // namespace
}  // namespace lbha
