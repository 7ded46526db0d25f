// Alerts: the operator's hooks (node.yaml `alerts.hooks`) run for every event
// a daemon detects: a real server down or up, a service without a server up,
// the fallback server in use, the peer lost or back, a config push that
// failed, a sync peer disconnected.
//
// Each hook runs without a shell, in its own process group, with exactly
// this environment (argv is the hook's path alone):
//   PATH          /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
//   LBHA_EVENT    the event's name (real_server_down, peer_lost, ...)
//   LBHA_NODE     this node's node_name
//   LBHA_TIME     when it was detected, ISO 8601 UTC (2026-12-07T01:02:03Z)
//   LBHA_MESSAGE  one sentence for a human
//   LBHA_<KEY>    the event's details (LBHA_SERVICE, LBHA_REASON, ...)
// The hooks of one event run in order; events queue behind each other
// (hook_runner.hpp: one at a time, killed at `alerts.timeout`, failures and
// drops logged and counted).
//
// event_hooks is the asio side: emit() may be called from any thread and
// posts to the daemon's io thread, where a timer polls the runner while
// hooks run (every 20 ms, only then). The data plane never calls it.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/hook_runner.hpp"
#include "lbha/v1/alerts.pb.h"
#include "lbha/v1/config.pb.h"

namespace lbha {

struct alert_event {
  std::string name;     // LBHA_EVENT
  std::string message;  // LBHA_MESSAGE
  // ("SERVICE", "web") becomes LBHA_SERVICE=web, in this order.
  std::vector<std::pair<std::string, std::string>> details;
};

struct alert_settings {
  std::vector<std::string> hooks;
  std::chrono::milliseconds timeout{10'000};
  std::size_t queue_limit = 100;
  std::string node;  // LBHA_NODE
};

alert_settings alert_settings_of(const lbha::v1::NodeConfig& node);

// "2026-12-07T01:02:03Z".
std::string iso8601_utc(std::chrono::system_clock::time_point when);

// The hook's whole environment for `event` ("NAME=value", in the order above).
std::vector<std::string> alert_environment(const alert_event& event, const std::string& node,
                                           std::chrono::system_clock::time_point when);

// One job per configured hook, in order (none when no hook is configured).
std::vector<hook_job> alert_jobs(const alert_event& event, const alert_settings& settings,
                                 std::chrono::system_clock::time_point when);

// For a status RPC.
lbha::v1::HookCounters to_proto(const hook_counters& counters);

class event_hooks {
 public:
  // Real processes; `logger` names the daemon's logger ("proxyd").
  event_hooks(asio::io_context& io, const lbha::clock& clock, std::string logger);
  // A test's processes.
  event_hooks(asio::io_context& io, const lbha::clock& clock, std::string logger,
              std::unique_ptr<hook_processes> processes);
  ~event_hooks();

  // io thread: the hooks, timeout and queue limit of node.yaml (start, reload).
  void configure(const lbha::v1::NodeConfig& node);
  // Any thread: runs the hooks for `event` (queued on the io thread). The
  // time is taken now.
  void emit(alert_event event);
  // io thread: kills a running hook and forgets the queue; emit() is a no-op after.
  void stop();

  // Any thread (a status RPC): the runner's counters as of its last step.
  hook_counters counters() const;
  // io thread.
  bool idle() const { return runner_.idle(); }

 private:
  void arm();
  void publish_counters();

  asio::io_context& io_;
  std::unique_ptr<hook_processes> processes_;
  hook_runner runner_;
  alert_settings settings_;
  asio::steady_timer timer_;
  bool polling_ = false;
  std::atomic<std::uint64_t> started_{0}, failed_{0}, dropped_{0};  // mirror of the runner's
  std::shared_ptr<bool> stopped_ = std::make_shared<bool>(false);
};

}  // namespace lbha
