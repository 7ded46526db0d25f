// health_alerts: turns the health checker's verdicts into alert events
// (common/event_hooks.hpp): a real server down or up (with the check's
// detail as the reason), a service left without any server up (primaries and
// backups alike failing their checks), the fallback server then in use, and
// the service up again. Only health counts here: an operator's drain or halt
// is not an alert.
//
// Pure: fed the pool and the server whose state changed, it calls the sink.
// Used on the control io thread only (the health checker's); the data plane
// never sees it.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/event_hooks.hpp"
#include "proxy/service_state.hpp"

namespace lbha::proxy {

class health_alerts {
 public:
  using sink = std::function<void(alert_event)>;

  void set_sink(sink s) { sink_ = std::move(s); }
  // A service (re)watched with pool `p`: remembers whether a server is up
  // now, without an event (a reload must not repeat one).
  void watch(const std::string& service, const pool& p);
  void forget(const std::string& service) { down_.erase(service); }
  // `server` of `service` has just gone up or down (its healthy() says which).
  void server_changed(const std::string& service, const pool& p, const real_server_state& server,
                      const std::string& reason);

 private:
  void emit(alert_event event) const;

  sink sink_;
  std::map<std::string, bool> down_;  // service -> no server up
};

}  // namespace lbha::proxy
