// hook_runner with a scripted process table and a manual clock (ordering,
// timeout, counting, queue bound), and with real processes for what only the
// kernel can show: the whole process group dies at the timeout.
#include "common/hook_runner.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

namespace lbha {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Children that run until the test ends them.
class scripted_processes final : public hook_processes {
 public:
  result<pid_t> start(const spawn_request& request) override {
    if (request.argv.front() == "/missing") return errno_error(ENOENT, "cannot run /missing");
    started.push_back(request);
    const pid_t pid = next_pid_++;
    running_[pid] = std::nullopt;
    return pid;
  }
  std::optional<int> finished(pid_t pid) override { return running_.at(pid); }
  void kill_group(pid_t pid) override {
    killed.push_back(pid);
    running_[pid] = SIGKILL;  // a wait status "killed by signal 9"
  }
  void wait_killed(pid_t) override {}

  void exit(pid_t pid, int code) { running_[pid] = W_EXITCODE(code, 0); }
  pid_t pid_of(std::size_t start_index) const { return 100 + static_cast<pid_t>(start_index); }

  std::vector<spawn_request> started;
  std::vector<pid_t> killed;

 private:
  pid_t next_pid_ = 100;
  std::map<pid_t, std::optional<int>> running_;
};

hook_job job(std::string hook, std::string purpose) {
  return hook_job{std::move(purpose), spawn_request{{std::move(hook)}, {"LBHA_EVENT=x"}, -1}};
}

class hook_runner_test : public ::testing::Test {
 protected:
  manual_clock clock_;
  scripted_processes processes_;
  hook_runner runner_{clock_, processes_, "test"};
};

TEST_F(hook_runner_test, runs_hooks_one_at_a_time_in_order_across_events) {
  runner_.set_limits(1s, 10);
  runner_.submit({job("/a", "event one"), job("/b", "event one")});
  runner_.submit({job("/a", "event two")});
  ASSERT_EQ(processes_.started.size(), 1u);
  EXPECT_EQ(processes_.started[0].argv.front(), "/a");
  runner_.poll();
  EXPECT_EQ(processes_.started.size(), 1u) << "the second hook waits for the first";
  processes_.exit(processes_.pid_of(0), 0);
  runner_.poll();
  ASSERT_EQ(processes_.started.size(), 2u);
  EXPECT_EQ(processes_.started[1].argv.front(), "/b");
  processes_.exit(processes_.pid_of(1), 0);
  runner_.poll();
  ASSERT_EQ(processes_.started.size(), 3u);
  EXPECT_EQ(processes_.started[2].argv.front(), "/a");
  processes_.exit(processes_.pid_of(2), 0);
  runner_.poll();
  EXPECT_TRUE(runner_.idle());
  EXPECT_EQ(runner_.counters().started, 3u);
  EXPECT_EQ(runner_.counters().failed, 0u);
}

TEST_F(hook_runner_test, a_hook_past_its_timeout_is_killed_counted_and_the_next_runs) {
  runner_.set_limits(500ms, 10);
  runner_.submit({job("/hangs", "event peer_lost"), job("/next", "event peer_lost")});
  clock_.advance(499ms);
  runner_.poll();
  EXPECT_TRUE(processes_.killed.empty());
  clock_.advance(1ms);
  runner_.poll();
  ASSERT_EQ(processes_.killed, std::vector<pid_t>{processes_.pid_of(0)});
  ASSERT_EQ(processes_.started.size(), 2u);
  EXPECT_EQ(processes_.started[1].argv.front(), "/next");
  EXPECT_EQ(runner_.counters().failed, 1u);
}

TEST_F(hook_runner_test, non_zero_exit_signal_and_spawn_failure_are_counted) {
  runner_.set_limits(1s, 10);
  runner_.submit({job("/fails", "event a"), job("/missing", "event a"), job("/ok", "event a")});
  processes_.exit(processes_.pid_of(0), 3);
  runner_.poll();  // /fails ends (1), /missing cannot start (2), /ok starts
  ASSERT_EQ(processes_.started.size(), 2u);
  EXPECT_EQ(processes_.started[1].argv.front(), "/ok");
  EXPECT_EQ(runner_.counters().failed, 2u);
  processes_.exit(processes_.pid_of(1), 0);
  runner_.poll();
  EXPECT_EQ(runner_.counters().failed, 2u);
  EXPECT_EQ(runner_.counters().started, 2u);
  EXPECT_TRUE(runner_.idle());
}

TEST_F(hook_runner_test, the_queue_is_bounded_and_overflow_is_dropped_and_counted) {
  runner_.set_limits(1s, 2);
  EXPECT_TRUE(runner_.submit({job("/a", "event 1")}));  // runs: not waiting
  EXPECT_TRUE(runner_.submit({job("/a", "event 2")}));
  EXPECT_TRUE(runner_.submit({job("/a", "event 3")}));
  EXPECT_FALSE(runner_.submit({job("/a", "event 4")}));
  EXPECT_EQ(runner_.counters().dropped, 1u);
  EXPECT_EQ(runner_.queued(), 2u);
  for (int i = 0; i < 3; ++i) {
    processes_.exit(processes_.pid_of(i), 0);
    runner_.poll();
  }
  EXPECT_TRUE(runner_.idle());
  EXPECT_EQ(processes_.started.size(), 3u);
}

TEST_F(hook_runner_test, stop_kills_the_running_hook_and_forgets_the_queue) {
  runner_.set_limits(1s, 10);
  runner_.submit({job("/a", "event 1"), job("/b", "event 1")});
  runner_.stop();
  EXPECT_EQ(processes_.killed, std::vector<pid_t>{processes_.pid_of(0)});
  EXPECT_TRUE(runner_.idle());
}

// Real processes: a hook that leaves a background child behind and hangs.
class hook_runner_process_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lbha-hook-runner-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path script(const std::string& name, const std::string& body) {
    const auto path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    ::chmod(path.c_str(), 0755);
    return path;
  }

  // Polls the runner until `done` holds or 5 s pass (real children take real time).
  template <typename Done>
  bool poll_until(hook_runner& runner, Done done) {
    for (int i = 0; i < 500 && !done(); ++i) {
      runner.poll();
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  fs::path dir_;
  const std::string path_ = "PATH=/usr/bin:/bin";
};

TEST_F(hook_runner_process_test, the_timeout_kills_the_whole_process_group) {
  const auto pid_file = dir_ / "background.pid";
  const auto hook = script("hangs", "sleep 60 &\necho $! > " + pid_file.string() + "\nsleep 60\n");
  manual_clock clock;
  child_processes processes;
  hook_runner runner(clock, processes, "test");
  runner.set_limits(1s, 10);
  runner.submit({hook_job{"event test", spawn_request{{hook.string()}, {path_}, -1}}});
  ASSERT_TRUE(
      poll_until(runner, [&] { return fs::exists(pid_file) && fs::file_size(pid_file) > 0; }));
  pid_t background = 0;
  std::ifstream(pid_file) >> background;
  ASSERT_GT(background, 0);
  EXPECT_EQ(::kill(background, 0), 0) << "the background child runs";
  runner.poll();
  EXPECT_FALSE(runner.idle()) << "not killed before its time";
  clock.advance(1s);
  ASSERT_TRUE(poll_until(runner, [&] { return runner.idle(); }));
  EXPECT_EQ(runner.counters().failed, 1u);
  // The background sleep was in the hook's group: killed too (a zombie until
  // init reaps it, so look at its state rather than kill(0)).
  const bool gone = [&] {
    for (int i = 0; i < 200; ++i) {
      std::ifstream stat("/proc/" + std::to_string(background) + "/stat");
      std::string pid, comm, state;
      if (!(stat >> pid >> comm >> state) || state == "Z") return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }();
  EXPECT_TRUE(gone) << "pid " << background << " outlived its hook's timeout";
}

TEST_F(hook_runner_process_test, a_real_hook_gets_exactly_its_environment_and_exit_codes_count) {
  const auto out = dir_ / "env.txt";
  const auto ok = script("ok", "env > " + out.string() + "\n");
  ::setenv("LBHA_LEAK_CHECK", "1", 1);
  const auto fails = script("fails", "exit 4\n");
  manual_clock clock;
  child_processes processes;
  hook_runner runner(clock, processes, "test");
  runner.submit(
      {hook_job{"event x", spawn_request{{fails.string()}, {}, -1}},
       hook_job{"event x", spawn_request{{ok.string()}, {path_, "LBHA_EVENT=x", "A=b c"}, -1}},
       hook_job{"event x", spawn_request{{(dir_ / "absent").string()}, {}, -1}}});
  ASSERT_TRUE(poll_until(runner, [&] { return runner.idle(); }));
  EXPECT_EQ(runner.counters().started, 2u);
  EXPECT_EQ(runner.counters().failed, 2u);  // exit 4, and the absent program
  std::ifstream in(out);
  const std::string all = "\n" + std::string((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(all.find("\nLBHA_EVENT=x\n"), std::string::npos) << all;
  EXPECT_NE(all.find("\nA=b c\n"), std::string::npos) << all;
  EXPECT_EQ(all.find("LBHA_LEAK_CHECK"), std::string::npos) << "the daemon's environment leaked";
}

}  // namespace
}  // namespace lbha
