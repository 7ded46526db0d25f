#include "heartbeatd/notifier.hpp"

#include <chrono>

extern char** environ;

namespace lbha::heartbeat {

namespace {

// Transitions are rare: a role hook is refused only when something is badly stuck.
constexpr std::size_t role_queue_limit = 1000;

std::vector<std::string> own_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

}  // namespace

notifier::notifier(const lbha::clock& clock, hooks h, alert_settings alerts)
    : hooks_(std::move(h)),
      roles_(clock, processes_, "heartbeatd"),
      alerts_(clock, processes_, "heartbeatd") {
  set_alerts(std::move(alerts));
}

notifier::~notifier() { stop(); }

void notifier::set_alerts(alert_settings alerts) {
  alert_settings_ = std::move(alerts);
  roles_.set_limits(alert_settings_.timeout, role_queue_limit);
  alerts_.set_limits(alert_settings_.timeout, alert_settings_.queue_limit);
}

void notifier::notify(role r, const std::vector<std::string>& vips) {
  const std::string& script = r == role::active    ? hooks_.on_active
                              : r == role::passive ? hooks_.on_passive
                              : r == role::fault   ? hooks_.on_fault
                                                   : hooks_.on_passive;
  if (script.empty()) return;
  spawn_request request{{script, std::string(to_string(r))}, own_environment(), -1};
  request.argv.insert(request.argv.end(), vips.begin(), vips.end());
  roles_.submit({hook_job{"notify " + std::string(to_string(r)), std::move(request)}});
}

void notifier::alert(const alert_event& event) {
  alerts_.submit(alert_jobs(event, alert_settings_, std::chrono::system_clock::now()));
}

void notifier::reap() {
  roles_.poll();
  alerts_.poll();
}

void notifier::stop() {
  roles_.poll();     // reaps one that has just ended
  roles_.release();  // one still running finishes on its own, as before the runner
  alerts_.stop();
}

}  // namespace lbha::heartbeat
