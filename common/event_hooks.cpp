#include "common/event_hooks.hpp"

#include <ctime>

namespace lbha {

namespace {

constexpr auto poll_interval = std::chrono::milliseconds(20);
constexpr const char* hook_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// A value on one line: a reason taken from a check's output may carry a newline.
std::string one_line(std::string value) {
  for (char& c : value) {
    if (c == '\n' || c == '\r' || c == '\0') c = ' ';
  }
  return value;
}

}  // namespace

alert_settings alert_settings_of(const lbha::v1::NodeConfig& node) {
  alert_settings out;
  out.hooks.assign(node.alerts().hooks().begin(), node.alerts().hooks().end());
  if (node.alerts().timeout_ms() > 0) {
    out.timeout = std::chrono::milliseconds(node.alerts().timeout_ms());
  }
  if (node.alerts().queue_limit() > 0) out.queue_limit = node.alerts().queue_limit();
  out.node = node.node_name();
  return out;
}

std::string iso8601_utc(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<std::string> alert_environment(const alert_event& event, const std::string& node,
                                           std::chrono::system_clock::time_point when) {
  std::vector<std::string> env{hook_path, "LBHA_EVENT=" + event.name, "LBHA_NODE=" + node,
                               "LBHA_TIME=" + iso8601_utc(when),
                               "LBHA_MESSAGE=" + one_line(event.message)};
  for (const auto& [key, value] : event.details) {
    env.push_back("LBHA_" + key + "=" + one_line(value));
  }
  return env;
}

std::vector<hook_job> alert_jobs(const alert_event& event, const alert_settings& settings,
                                 std::chrono::system_clock::time_point when) {
  std::vector<hook_job> jobs;
  if (settings.hooks.empty()) return jobs;
  const auto env = alert_environment(event, settings.node, when);
  for (const auto& hook : settings.hooks) {
    jobs.push_back(hook_job{"event " + event.name, spawn_request{{hook}, env, -1}});
  }
  return jobs;
}

lbha::v1::HookCounters to_proto(const hook_counters& counters) {
  lbha::v1::HookCounters out;
  out.set_started(counters.started);
  out.set_failed(counters.failed);
  out.set_dropped(counters.dropped);
  return out;
}

event_hooks::event_hooks(asio::io_context& io, const lbha::clock& clock, std::string logger)
    : event_hooks(io, clock, std::move(logger), std::make_unique<child_processes>()) {}

event_hooks::event_hooks(asio::io_context& io, const lbha::clock& clock, std::string logger,
                         std::unique_ptr<hook_processes> processes)
    : io_(io),
      processes_(std::move(processes)),
      runner_(clock, *processes_, std::move(logger)),
      timer_(io) {}

event_hooks::~event_hooks() { *stopped_ = true; }

void event_hooks::configure(const lbha::v1::NodeConfig& node) {
  settings_ = alert_settings_of(node);
  runner_.set_limits(settings_.timeout, settings_.queue_limit);
}

void event_hooks::emit(alert_event event) {
  const auto when = std::chrono::system_clock::now();
  asio::post(io_, [this, stopped = stopped_, event = std::move(event), when] {
    if (*stopped) return;
    runner_.submit(alert_jobs(event, settings_, when));
    publish_counters();
    arm();
  });
}

void event_hooks::stop() {
  *stopped_ = true;
  timer_.cancel();
  runner_.stop();
}

hook_counters event_hooks::counters() const {
  return {started_.load(), failed_.load(), dropped_.load()};
}

void event_hooks::publish_counters() {
  const auto& c = runner_.counters();
  started_.store(c.started);
  failed_.store(c.failed);
  dropped_.store(c.dropped);
}

void event_hooks::arm() {
  if (polling_ || runner_.idle()) return;
  polling_ = true;
  timer_.expires_after(poll_interval);
  timer_.async_wait([this, stopped = stopped_](const boost::system::error_code& ec) {
    if (*stopped) return;
    polling_ = false;
    if (ec) return;
    runner_.poll();
    publish_counters();
    arm();
  });
}

}  // namespace lbha
