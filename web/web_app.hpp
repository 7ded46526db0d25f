// web_app: the WebUI's pages and actions, as routes on a router.
//
//   GET  /                          -> /lbadmin/
//   GET  /lbadmin/                  System Overview (log-in first)
//   GET  /lbadmin/login             log-in page
//   POST /lbadmin/login             user, password: PAM, groups, rate limit, session cookie
//   POST /lbadmin/logout            csrf
//   GET  /lbadmin/api/overview      the overview's live fragment and lbctl's status JSON
//   POST /lbadmin/real-server/state csrf, vip, rip, state=drain|halt|online (lbha-admin)
//   GET  /lbadmin/static/lbha.css, lbha.js
//
// Every POST but the log-in needs the session's CSRF token (403 without it),
// and a POST whose Origin is another site is refused outright. Each change
// and each log-in is one line on the `webd-audit` logger naming the user and
// the client. Sessions, the rate limiter and rendering run on the io thread;
// PAM and the daemons' gRPC calls run on a small worker pool (`workers`)
// and the request waits for them without holding the io thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "web/authenticator.hpp"
#include "web/http_types.hpp"
#include "web/login_limiter.hpp"
#include "web/node_operations.hpp"
#include "web/router.hpp"
#include "web/session_store.hpp"

namespace lbha::web {

inline constexpr std::string_view session_cookie = "lbha_session";

// What the WebUI has done since start (lbha.v1.WebStatus).
struct web_counters {
  std::uint64_t logins = 0;
  std::uint64_t login_failures = 0;
  std::uint64_t logins_rate_limited = 0;
  std::uint64_t changes = 0;
  std::uint64_t refused_posts = 0;
};

struct web_app_settings {
  std::string node_name;
  std::chrono::milliseconds session_idle{std::chrono::minutes(15)};
  login_limits login;
};

class web_app {
 public:
  web_app(const lbha::clock& clock, authenticator& auth, node_operations& node,
          asio::thread_pool& workers, web_app_settings settings);

  awaitable<response> handle(request_context context) const {
    return router_.handle(std::move(context));
  }
  request_handler handler() {
    return [this](request_context context) { return handle(std::move(context)); };
  }

  // A reload: the node's name and the idle time (live sessions keep going).
  void configure(std::string node_name, std::chrono::milliseconds session_idle);

  const web_counters& counters() const { return counters_; }
  std::size_t sessions() const { return sessions_.size(); }

 private:
  awaitable<response> do_overview(request_context context);
  awaitable<response> do_login_page(request_context context);
  awaitable<response> do_login(request_context context);
  awaitable<response> do_logout(request_context context);
  awaitable<response> do_overview_json(request_context context);
  awaitable<response> do_set_state(request_context context);

  std::optional<web_session> session_of(const request& req);

  authenticator& auth_;
  node_operations& node_;
  asio::thread_pool& workers_;
  web_app_settings settings_;
  session_store sessions_;
  login_limiter limiter_;
  web_counters counters_;
  router router_;
};

}  // namespace lbha::web
