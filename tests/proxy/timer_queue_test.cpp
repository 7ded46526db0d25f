#include "proxy/timer_queue.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;

const time_point t0{};

TEST(timer_queue, fires_due_timers_earliest_first_and_only_those) {
  timer_queue q;
  std::string fired;
  timer a([&] { fired += 'a'; });
  timer b([&] { fired += 'b'; });
  timer c([&] { fired += 'c'; });
  q.schedule(a, t0 + 30ms);
  q.schedule(b, t0 + 10ms);
  q.schedule(c, t0 + 20ms);
  EXPECT_EQ(q.next_deadline(), t0 + 10ms);

  EXPECT_EQ(q.expire(t0 + 9ms), 0u);
  EXPECT_EQ(q.expire(t0 + 20ms), 2u) << "a deadline equal to now is due";
  EXPECT_EQ(fired, "bc");
  EXPECT_FALSE(b.armed());
  EXPECT_EQ(b.deadline(), time_point::max()) << "a fired timer is disarmed";
  EXPECT_TRUE(a.armed());
  EXPECT_EQ(q.next_deadline(), t0 + 30ms);
  EXPECT_EQ(q.expire(t0 + 1h), 1u);
  EXPECT_EQ(fired, "bca");
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.next_deadline());
}

TEST(timer_queue, rescheduling_moves_and_cancel_disarms) {
  timer_queue q;
  int fired = 0;
  timer t([&] { ++fired; });
  q.schedule(t, t0 + 10ms);
  q.schedule(t, t0 + 50ms);  // later: the first deadline is gone
  EXPECT_EQ(t.deadline(), t0 + 50ms);
  EXPECT_EQ(q.expire(t0 + 10ms), 0u);
  q.schedule(t, t0 + 5ms);  // earlier
  EXPECT_EQ(q.next_deadline(), t0 + 5ms);
  q.cancel(t);
  EXPECT_FALSE(t.armed());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.expire(t0 + 1h), 0u);
  EXPECT_EQ(fired, 0);
}

TEST(timer_queue, a_destroyed_timer_leaves_the_queue) {
  timer_queue q;
  int fired = 0;
  auto t = std::make_unique<timer>([&] { ++fired; });
  timer kept([&] { fired += 10; });
  q.schedule(*t, t0 + 1ms);
  q.schedule(kept, t0 + 2ms);
  t.reset();
  EXPECT_EQ(q.next_deadline(), t0 + 2ms);
  EXPECT_EQ(q.expire(t0 + 1h), 1u);
  EXPECT_EQ(fired, 10);
}

TEST(timer_queue, a_callback_may_rearm_its_timer_and_expire_is_bounded) {
  timer_queue q;
  int fired = 0;
  timer* self = nullptr;
  timer t([&] {
    ++fired;
    q.schedule(*self, t0);  // due again at once
  });
  self = &t;
  q.schedule(t, t0);
  EXPECT_EQ(q.expire(t0, 5), 5u) << "the limit stops a timer that keeps re-arming for now";
  EXPECT_EQ(fired, 5);
  EXPECT_TRUE(t.armed());
}

TEST(timer_queue, equal_deadlines_all_fire) {
  timer_queue q;
  int fired = 0;
  timer a([&] { ++fired; });
  timer b([&] { ++fired; });
  q.schedule(a, t0 + 1ms);
  q.schedule(b, t0 + 1ms);
  EXPECT_EQ(q.expire(t0 + 1ms), 2u);
  EXPECT_EQ(fired, 2);
}

}  // namespace
}  // namespace lbha::proxy
