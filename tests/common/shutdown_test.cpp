#include "common/shutdown.hpp"

#include <csignal>
#include <string>

#include <gtest/gtest.h>

namespace lbha {
namespace {

TEST(shutdown_sequence, runs_steps_in_reverse_order_once) {
  shutdown_sequence seq;
  std::string order;
  seq.push("a", [&] { order += "a"; });
  seq.push("b", [&] { order += "b"; });
  seq.push("c", [&] { order += "c"; });
  seq.run();
  seq.run();
  EXPECT_EQ(order, "cba");
  EXPECT_TRUE(seq.done());
}

TEST(signal_watcher, sigterm_runs_the_sequence_and_io_drains) {
  asio::io_context io;
  shutdown_sequence seq;
  bool stopped = false;
  asio::steady_timer keepalive(io, std::chrono::hours(1));
  keepalive.async_wait([](auto) {});
  signal_watcher watcher(io, seq);
  seq.push("timer", [&] {
    stopped = true;
    keepalive.cancel();
  });
  asio::post(io, [] { std::raise(SIGTERM); });
  io.run();  // returns only because the shutdown step cancelled the last pending work
  EXPECT_TRUE(stopped);
}

TEST(signal_watcher, sighup_calls_reload_and_keeps_running) {
  asio::io_context io;
  shutdown_sequence seq;
  int reloads = 0;
  signal_watcher watcher(io, seq, [&] {
    ++reloads;
    seq.run();
  });
  seq.push("watcher", [&] { watcher.stop(); });
  asio::post(io, [] { std::raise(SIGHUP); });
  io.run();
  EXPECT_EQ(reloads, 1);
}

TEST(signal_watcher, with_on_stop_the_first_sigterm_asks_and_a_second_stops_at_once) {
  asio::io_context io;
  shutdown_sequence seq;
  int asked = 0;
  bool stopped = false;
  asio::steady_timer keepalive(io, std::chrono::hours(1));
  keepalive.async_wait([](auto) {});
  // on_stop leaves the sequence alone (a handover still running): the next
  // SIGTERM runs it without waiting.
  signal_watcher watcher(io, seq, {}, [&] {
    ++asked;
    asio::post(io, [] { std::raise(SIGTERM); });
  });
  seq.push("timer", [&] {
    stopped = true;
    keepalive.cancel();
    watcher.stop();
  });
  asio::post(io, [] { std::raise(SIGTERM); });
  io.run();
  EXPECT_EQ(asked, 1);
  EXPECT_TRUE(stopped);
}

}  // namespace
}  // namespace lbha
