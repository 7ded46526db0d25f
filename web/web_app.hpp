// web_app: the WebUI's pages and actions, as routes on a router.
//
//   GET  /                          -> /lbadmin/
//   GET  /lbadmin/                  System Overview (log-in first)
//   GET  /lbadmin/login             log-in page
//   POST /lbadmin/login             user, password: PAM, groups, rate limit, session cookie
//   POST /lbadmin/logout            csrf
//   GET  /lbadmin/api/overview      the overview's live fragment and lbctl's status JSON
//   POST /lbadmin/real-server/state csrf, vip, rip, state=drain|halt|online (lbha-admin)
//   GET  /lbadmin/services          Virtual Services: what `lbctl vip list` / `rip list` show
//   GET  /lbadmin/services/{vip,rip}/{add,modify,delete}?vip=&rip=   a form (lbha-admin)
//   POST the same                   csrf, the fields, step=preview|commit: the lbctl command
//   GET  /lbadmin/ha                High Availability: ha, replication and sync status
//   GET  /lbadmin/ha/confirm?action=make-active|make-passive|break-pair   (lbha-admin)
//   POST /lbadmin/ha/action         csrf, action: lbctl make-active|make-passive|unpair
//   POST /lbadmin/ha/pair           csrf, step=host-key (peer) | pair (peer, fingerprint,
//                                   password, lock): lbctl pair
//   GET  /lbadmin/config            View Configuration: lbctl config show (cluster, node)
//   GET  /lbadmin/history?generation=N   lbctl config history (and config show --generation)
//   GET  /lbadmin/logs?daemon=&priority=&lines=   the daemon's last journal lines
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
#include "web/connection_history.hpp"
#include "web/http_types.hpp"
#include "web/lbctl_forms.hpp"
#include "web/login_limiter.hpp"
#include "web/node_operations.hpp"
#include "web/overview_page.hpp"
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

  // One read of the node's proxyd status, for the overview's graphs: webd's
  // periodic read of the node is the only caller (connection_history keeps
  // one sample per 30 s); the pages only draw them.
  void record(const v1::ProxyStatus& status) { history_.record(clock_.now(), status); }

  const web_counters& counters() const { return counters_; }
  std::size_t sessions() const { return sessions_.size(); }

 private:
  awaitable<response> do_overview(request_context context);
  awaitable<response> do_login_page(request_context context);
  awaitable<response> do_login(request_context context);
  awaitable<response> do_logout(request_context context);
  awaitable<response> do_overview_json(request_context context);
  awaitable<response> do_set_state(request_context context);
  awaitable<response> do_services(request_context context);
  awaitable<response> do_form_page(request_context context);
  awaitable<response> do_form_post(request_context context);
  awaitable<response> do_ha(request_context context);
  awaitable<response> do_ha_confirm(request_context context);
  awaitable<response> do_ha_action(request_context context);
  awaitable<response> do_pair(request_context context);
  awaitable<response> do_config(request_context context);
  awaitable<response> do_history(request_context context);
  awaitable<response> do_logs(request_context context);

  // A logged-in session, or the answer that sends the browser to log in.
  struct page_access {
    std::optional<web_session> session;
    std::optional<response> refusal;
  };
  page_access page_session(const request_context& context);
  // A change (a POST but log-in's): the session if it may make it, else the
  // 403 to send (no session, no or a wrong CSRF token, another site, read only).
  page_access change_session(const request_context& context, const form_fields& fields);

  std::optional<web_session> session_of(const request& req);

  overview_graphs graphs() const { return {&history_, clock_.now()}; }

  const lbha::clock& clock_;
  authenticator& auth_;
  node_operations& node_;
  asio::thread_pool& workers_;
  web_app_settings settings_;
  session_store sessions_;
  login_limiter limiter_;
  web_counters counters_;
  connection_history history_;
  router router_;
};

}  // namespace lbha::web
