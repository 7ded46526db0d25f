// Alert events: the environment a hook gets, one job per hook in order, and
// the asio driver running real hooks on an io_context.
#include "common/event_hooks.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

namespace lbha {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

alert_event server_down() {
  return alert_event{"real_server_down",
                     "Real server web1 of service web is down: connect: refused",
                     {{"SERVICE", "web"},
                      {"REAL_SERVER", "web1"},
                      {"ADDRESS", "192.0.2.21"},
                      {"PORT", "80"},
                      {"REASON", "connect: refused\nsecond line"}}};
}

TEST(event_hooks, the_environment_names_the_event_node_time_and_details) {
  const auto when = std::chrono::system_clock::time_point{} + std::chrono::seconds(1796605323);
  EXPECT_EQ(iso8601_utc(when), "2026-12-07T01:02:03Z");
  const auto env = alert_environment(server_down(), "lb1", when);
  const std::vector<std::string> expected{
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "LBHA_EVENT=real_server_down",
      "LBHA_NODE=lb1",
      "LBHA_TIME=2026-12-07T01:02:03Z",
      "LBHA_MESSAGE=Real server web1 of service web is down: connect: refused",
      "LBHA_SERVICE=web",
      "LBHA_REAL_SERVER=web1",
      "LBHA_ADDRESS=192.0.2.21",
      "LBHA_PORT=80",
      "LBHA_REASON=connect: refused second line"};
  EXPECT_EQ(env, expected);
}

TEST(event_hooks, one_job_per_hook_in_the_configured_order) {
  v1::NodeConfig node;
  node.set_node_name("lb2");
  node.mutable_alerts()->add_hooks("/usr/local/bin/mail");
  node.mutable_alerts()->add_hooks("/usr/local/bin/page");
  node.mutable_alerts()->set_timeout_ms(2500);
  node.mutable_alerts()->set_queue_limit(7);
  const auto settings = alert_settings_of(node);
  EXPECT_EQ(settings.timeout, 2500ms);
  EXPECT_EQ(settings.queue_limit, 7u);
  const auto jobs = alert_jobs(server_down(), settings, std::chrono::system_clock::now());
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].request.argv, std::vector<std::string>{"/usr/local/bin/mail"});
  EXPECT_EQ(jobs[1].request.argv, std::vector<std::string>{"/usr/local/bin/page"});
  EXPECT_EQ(jobs[0].purpose, "event real_server_down");
  EXPECT_EQ(jobs[1].request.env[2], "LBHA_NODE=lb2");
  EXPECT_TRUE(alert_jobs(server_down(), alert_settings{}, {}).empty());
}

TEST(event_hooks, emitted_events_run_every_hook_in_order_on_the_io_thread) {
  const auto dir = fs::temp_directory_path() / ("lbha-event-hooks-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto log = dir / "log";
  const auto write_hook = [&](const std::string& name) {
    const auto path = dir / name;
    std::ofstream(path) << "#!/bin/sh\necho \"" << name << " $LBHA_EVENT $LBHA_PEER\" >> "
                        << log.string() << "\n";
    ::chmod(path.c_str(), 0755);
    return path.string();
  };
  v1::NodeConfig node;
  node.set_node_name("lb1");
  node.mutable_alerts()->add_hooks(write_hook("first"));
  node.mutable_alerts()->add_hooks(write_hook("second"));
  asio::io_context io;
  steady_clock clock;
  event_hooks hooks(io, clock, "test");
  hooks.configure(node);
  hooks.emit({"peer_lost", "The peer lb2 is lost.", {{"PEER", "lb2"}}});
  hooks.emit({"peer_back", "The peer lb2 is back.", {{"PEER", "lb2"}}});
  for (int i = 0; i < 500 && (hooks.counters().started < 4 || !hooks.idle()); ++i) {
    io.run_for(10ms);
  }
  EXPECT_EQ(hooks.counters().started, 4u);
  EXPECT_EQ(hooks.counters().failed, 0u);
  std::ifstream in(log);
  std::string all((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(
      all,
      "first peer_lost lb2\nsecond peer_lost lb2\nfirst peer_back lb2\nsecond peer_back lb2\n");
  hooks.stop();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace lbha
