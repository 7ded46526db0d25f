#include "proxy/event_loop.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;

// Runs a loop on its own thread for the length of a test.
class running_loop {
 public:
  running_loop() : thread_([this] { loop.run(); }) {}
  ~running_loop() {
    loop.stop();
    thread_.join();
  }
  // Runs `fn` on the loop's thread and waits.
  template <typename F>
  void on_loop(F fn) {
    std::promise<void> done;
    loop.post([&] {
      fn();
      done.set_value();
    });
    done.get_future().get();
  }

  event_loop loop;

 private:
  std::thread thread_;
};

TEST(event_loop, posted_work_runs_on_the_loop_thread_in_order) {
  running_loop r;
  std::promise<std::thread::id> where;
  std::string order;
  for (char c : std::string("abc")) r.loop.post([&order, c] { order += c; });
  r.loop.post([&] { where.set_value(std::this_thread::get_id()); });
  EXPECT_NE(where.get_future().get(), std::this_thread::get_id());
  EXPECT_EQ(order, "abc");
}

TEST(event_loop, reports_a_watched_descriptor_once_per_edge) {
  struct counter final : ready_handler {
    void on_ready(std::uint32_t events) override {
      if (events & EPOLLIN) ++inputs;
      if (got && inputs == 2) got->set_value();
    }
    int inputs = 0;
    std::promise<void>* got = nullptr;
  };
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  running_loop r;
  counter c;
  std::promise<void> two;
  c.got = &two;
  r.on_loop([&] { ASSERT_TRUE(r.loop.watch(fds[0], &c)); });
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  // Written before the post, so reported in the same wake-up or an earlier
  // one: the first edge is dispatched before the second write.
  r.on_loop([] {});
  ASSERT_EQ(::write(fds[1], "y", 1), 1);
  ASSERT_EQ(two.get_future().wait_for(5s), std::future_status::ready)
      << "each write makes a new edge, though nothing was read";
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(event_loop, timers_fire_no_earlier_than_their_deadline) {
  running_loop r;
  std::promise<std::chrono::steady_clock::time_point> fired;
  timer t([&] { fired.set_value(std::chrono::steady_clock::now()); });
  const auto start = std::chrono::steady_clock::now();
  r.on_loop([&] { r.loop.schedule(t, r.loop.now() + 30ms); });
  auto when = fired.get_future();
  ASSERT_EQ(when.wait_for(5s), std::future_status::ready);
  EXPECT_GE(when.get() - start, 30ms - 1ms);
}

TEST(event_loop, deferred_work_runs_after_the_current_work) {
  running_loop r;
  std::string order;
  r.on_loop([&] {
    r.loop.defer([&] {
      order += 'd';
      r.loop.defer([&] { order += 'e'; });  // deferred from deferred work: the next turn
    });
    order += 'w';
  });
  r.on_loop([] {});
  r.on_loop([] {});
  EXPECT_EQ(order, "wde");
}

TEST(event_loop, work_never_run_is_destroyed_with_the_loop) {
  auto owned = std::make_shared<int>(1);
  std::weak_ptr<int> watch = owned;
  {
    event_loop loop;  // never run
    loop.post([owned = std::move(owned)] {});
  }
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace lbha::proxy
