// The notify hooks as real processes (no root): one at a time, in the order of
// the transitions, whatever each takes.
#include "heartbeatd/notifier.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace lbha::heartbeat {
namespace {

using namespace std::chrono_literals;

struct hook_dir {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("lbha-notifier-" + std::to_string(::getpid()));
  hook_dir() { std::filesystem::create_directories(dir); }
  ~hook_dir() { std::filesystem::remove_all(dir); }

  // A hook that sleeps `delay` (a slow service stop), then logs its arguments.
  std::string script(const std::string& name, const std::string& delay) const {
    const auto path = dir / name;
    std::ofstream(path) << "#!/bin/sh\nsleep " << delay << "\necho \"$@\" >> " << log().string()
                        << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
  }
  std::filesystem::path log() const { return dir / "log"; }
  std::string logged() const {
    std::ifstream in(log());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

void reap_until_idle(notifier& n) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((n.running() > 0 || n.queued() > 0) && std::chrono::steady_clock::now() < deadline) {
    n.reap();
    std::this_thread::sleep_for(5ms);
  }
}

TEST(notifier, hooks_run_one_at_a_time_in_the_order_of_the_transitions) {
  hook_dir d;
  // The passive hook is slow, the active one quick: started together, the
  // active hook would finish first and the log would end on "passive".
  notifier n(hooks{.on_active = d.script("active", "0"),
                   .on_passive = d.script("passive", "0.3"),
                   .on_fault = d.script("fault", "0")});
  auto first = n.notify(role::passive, {"192.0.2.100"});
  ASSERT_TRUE(first) << first.error().message();
  EXPECT_GT(first.value(), 0);
  auto second = n.notify(role::active, {"192.0.2.100"});
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second.value(), 0) << "queued behind the running hook";
  EXPECT_EQ(n.running(), 1u);
  EXPECT_EQ(n.queued(), 1u);
  ASSERT_TRUE(n.notify(role::fault, {}));
  reap_until_idle(n);
  EXPECT_EQ(d.logged(), "passive 192.0.2.100\nactive 192.0.2.100\nfault\n");
}

TEST(notifier, a_hook_that_cannot_start_is_reported_and_the_next_one_runs) {
  hook_dir d;
  notifier n(hooks{.on_active = d.script("active", "0.1"),
                   .on_passive = (d.dir / "missing").string(),
                   .on_fault = d.script("fault", "0")});
  ASSERT_TRUE(n.notify(role::active, {}));
  ASSERT_TRUE(n.notify(role::passive, {}));  // queued: fails only when its turn comes
  ASSERT_TRUE(n.notify(role::fault, {}));
  reap_until_idle(n);
  EXPECT_EQ(d.logged(), "active\nfault\n");
  auto alone = n.notify(role::passive, {});
  EXPECT_FALSE(alone) << "nothing running: started at once, and its failure returned";
}

TEST(notifier, no_hook_configured_runs_nothing) {
  notifier n(hooks{});
  auto r = n.notify(role::active, {"192.0.2.100"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r.value(), 0);
  EXPECT_EQ(n.running(), 0u);
  EXPECT_EQ(n.queued(), 0u);
}

}  // namespace
}  // namespace lbha::heartbeat
