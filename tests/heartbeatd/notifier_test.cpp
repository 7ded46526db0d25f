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

alert_settings with_timeout(std::chrono::milliseconds timeout) {
  alert_settings s;
  s.timeout = timeout;
  return s;
}

TEST(notifier, hooks_run_one_at_a_time_in_the_order_of_the_transitions) {
  hook_dir d;
  steady_clock clock;
  // The passive hook is slow, the active one quick: started together, the
  // active hook would finish first and the log would end on "passive".
  notifier n(clock,
             hooks{.on_active = d.script("active", "0"),
                   .on_passive = d.script("passive", "0.3"),
                   .on_fault = d.script("fault", "0")},
             with_timeout(10s));
  n.notify(role::passive, {"192.0.2.100"});
  EXPECT_EQ(n.running(), 1u);
  n.notify(role::active, {"192.0.2.100"});
  EXPECT_EQ(n.running(), 1u);
  EXPECT_EQ(n.queued(), 1u) << "queued behind the running hook";
  n.notify(role::fault, {});
  reap_until_idle(n);
  EXPECT_EQ(d.logged(), "passive 192.0.2.100\nactive 192.0.2.100\nfault\n");
  EXPECT_EQ(n.role_counters().started, 3u);
  EXPECT_EQ(n.role_counters().failed, 0u);
}

TEST(notifier, a_hook_that_cannot_start_is_counted_and_the_next_one_runs) {
  hook_dir d;
  steady_clock clock;
  notifier n(clock,
             hooks{.on_active = d.script("active", "0.1"),
                   .on_passive = (d.dir / "missing").string(),
                   .on_fault = d.script("fault", "0")},
             with_timeout(10s));
  n.notify(role::active, {});
  n.notify(role::passive, {});  // queued: fails only when its turn comes
  n.notify(role::fault, {});
  reap_until_idle(n);
  EXPECT_EQ(d.logged(), "active\nfault\n");
  EXPECT_EQ(n.role_counters().failed, 1u);
}

TEST(notifier, a_hung_role_hook_is_killed_at_the_timeout_and_the_next_one_runs) {
  hook_dir d;
  manual_clock clock;
  notifier n(clock,
             hooks{.on_active = d.script("active", "60"),
                   .on_passive = d.script("passive", "0"),
                   .on_fault = ""},
             with_timeout(2s));
  n.notify(role::active, {});
  n.notify(role::passive, {});
  n.reap();
  EXPECT_EQ(n.queued(), 1u) << "the hung hook holds the next one back until its timeout";
  clock.advance(2s);
  reap_until_idle(n);
  EXPECT_EQ(d.logged(), "passive\n");
  EXPECT_EQ(n.role_counters().failed, 1u);
}

TEST(notifier, alert_hooks_get_the_event_in_their_environment) {
  hook_dir d;
  const auto hook = d.dir / "alert";
  std::ofstream(hook) << "#!/bin/sh\necho \"$LBHA_EVENT $LBHA_NODE $LBHA_PEER $#\" >> "
                      << d.log().string() << "\n";
  ::chmod(hook.c_str(), 0755);
  steady_clock clock;
  alert_settings alerts = with_timeout(5s);
  alerts.hooks = {hook.string()};
  alerts.node = "lb1";
  notifier n(clock, hooks{}, alerts);
  n.alert({"peer_lost", "The peer is lost.", {{"PEER", "192.0.2.2"}}});
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (n.alert_counters().started == 0 || d.logged().empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline);
    n.reap();
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(d.logged(), "peer_lost lb1 192.0.2.2 0\n");
}

TEST(notifier, no_hook_configured_runs_nothing) {
  steady_clock clock;
  notifier n(clock, hooks{}, alert_settings{});
  n.notify(role::active, {"192.0.2.100"});
  n.alert({"peer_lost", "x", {}});
  EXPECT_EQ(n.running(), 0u);
  EXPECT_EQ(n.queued(), 0u);
  EXPECT_EQ(n.role_counters().started + n.alert_counters().started, 0u);
}

}  // namespace
}  // namespace lbha::heartbeat
