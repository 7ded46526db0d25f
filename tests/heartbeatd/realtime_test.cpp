#include "heartbeatd/realtime.hpp"

#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include <gtest/gtest.h>

namespace lbha::heartbeat {
namespace {

int my_policy() {
  return ::sched_getscheduler(static_cast<pid_t>(::syscall(SYS_gettid))) & ~SCHED_RESET_ON_FORK;
}

TEST(realtime, only_the_calling_thread_becomes_sched_rr) {
  if (::geteuid() != 0) GTEST_SKIP() << "SCHED_RR needs root";
  int in_thread = -1, in_child_thread = -1, priority = -1;
  std::error_code ec;
  std::thread t([&] {
    ec = make_this_thread_realtime(5);
    in_thread = my_policy();
    sched_param p{};
    ::sched_getparam(static_cast<pid_t>(::syscall(SYS_gettid)), &p);
    priority = p.sched_priority;
    std::thread child([&] { in_child_thread = my_policy(); });  // reset on fork
    child.join();
  });
  t.join();
  if (ec == std::errc::operation_not_permitted) GTEST_SKIP() << "no real-time budget here";
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(in_thread, SCHED_RR);
  EXPECT_EQ(priority, 5);
  EXPECT_EQ(in_child_thread, SCHED_OTHER);
  EXPECT_EQ(my_policy(), SCHED_OTHER);  // the test's own thread is untouched
}

TEST(realtime, zero_priority_leaves_scheduling_alone) {
  EXPECT_FALSE(make_this_thread_realtime(0));
  EXPECT_EQ(my_policy(), SCHED_OTHER);
}

}  // namespace
}  // namespace lbha::heartbeat
