// run_captured: a helper program run to its end with its output kept (lbctl's
// `ip -j`, lbha-webd's journalctl), and one that outlives its timeout killed
// with everything it started.
#include <gtest/gtest.h>

#include <chrono>

#include "common/child_process.hpp"

namespace lbha {
namespace {

using namespace std::chrono_literals;

TEST(run_captured, keeps_stdout_and_stderr_and_the_exit_status) {
  auto run = run_captured({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {}, 5s);
  ASSERT_TRUE(run) << run.error().message();
  EXPECT_EQ(run.value().output, "out\nerr\n");
  EXPECT_FALSE(run.value().ok());
  EXPECT_FALSE(run.value().timed_out);
  EXPECT_EQ(run.value().describe({"sh", "-c", "x"}), "sh -c x: exit 3");
  auto fine = run_captured({"/bin/sh", "-c", "printf '%s' \"$GREETING\""}, {"GREETING=hi"}, 5s);
  ASSERT_TRUE(fine);
  EXPECT_TRUE(fine.value().ok());
  EXPECT_EQ(fine.value().output, "hi");  // exactly the environment given
}

TEST(run_captured, a_program_past_its_timeout_is_killed_with_what_it_started) {
  const auto start = std::chrono::steady_clock::now();
  // The background sleep keeps the pipe open: only killing the group ends the read.
  auto run = run_captured({"/bin/sh", "-c", "echo started; sleep 30 & sleep 30"}, {}, 300ms);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(run);
  EXPECT_TRUE(run.value().timed_out);
  EXPECT_FALSE(run.value().ok());
  EXPECT_EQ(run.value().output, "started\n");
  EXPECT_LT(took, 10s);
  EXPECT_EQ(run.value().describe({"sh"}), "sh: killed at the timeout");
}

TEST(run_captured, a_program_that_cannot_start_is_an_error) {
  EXPECT_FALSE(run_captured({"/nonexistent/program"}, {}, 1s));
}

}  // namespace
}  // namespace lbha
