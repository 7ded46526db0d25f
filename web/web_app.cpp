#include "web/web_app.hpp"

#include "common/logging.hpp"
#include "web/assets.hpp"
#include "web/errc.hpp"
#include "web/form.hpp"
#include "web/login_page.hpp"
#include "web/off_thread.hpp"
#include "web/overview_page.hpp"
#include "web/replies.hpp"

namespace lbha::web {

namespace {

constexpr std::size_t max_user_length = 64;
constexpr std::size_t max_password_length = 512;

std::string session_cookie_value(const std::string& id) {
  return std::string(session_cookie) + "=" + id +
         "; Path=/lbadmin/; Secure; HttpOnly; SameSite=Strict";
}

// A browser names the page a POST comes from; one from another site is a
// forgery whatever else it carries (this also covers the log-in form, which
// has no session yet and so no CSRF token).
bool cross_site(const request& req) {
  if (auto site = req["Sec-Fetch-Site"]; site == "cross-site") return true;
  const auto origin = req[http::field::origin];
  if (origin.empty()) return false;
  return to_std(origin) != "https://" + std::string(to_std(req[http::field::host]));
}

std::optional<v1::RealServerState> state_named(const std::string& word) {
  if (word == "drain") return v1::REAL_SERVER_STATE_DRAIN;
  if (word == "halt") return v1::REAL_SERVER_STATE_HALT;
  if (word == "online") return v1::REAL_SERVER_STATE_ONLINE;
  return std::nullopt;
}

}  // namespace

web_app::web_app(const lbha::clock& clock, authenticator& auth, node_operations& node,
                 asio::thread_pool& workers, web_app_settings settings)
    : clock_(clock),
      auth_(auth),
      node_(node),
      workers_(workers),
      settings_(std::move(settings)),
      sessions_(clock, settings_.session_idle),
      limiter_(clock, settings_.login) {
  using verb = http::verb;
  const auto route = [this](verb method, std::string path,
                            awaitable<response> (web_app::*step)(request_context)) {
    router_.add(method, std::move(path), [this, step](request_context context) {
      return (this->*step)(std::move(context));
    });
  };
  const auto to_overview = [](request_context context) -> awaitable<response> {
    co_return redirect(context.req, "/lbadmin/");
  };
  router_.add(verb::get, "/", to_overview);
  router_.add(verb::get, "/lbadmin", to_overview);
  route(verb::get, "/lbadmin/", &web_app::do_overview);
  route(verb::get, "/lbadmin/login", &web_app::do_login_page);
  route(verb::post, "/lbadmin/login", &web_app::do_login);
  route(verb::post, "/lbadmin/logout", &web_app::do_logout);
  route(verb::get, "/lbadmin/api/overview", &web_app::do_overview_json);
  route(verb::post, "/lbadmin/real-server/state", &web_app::do_set_state);
  route(verb::get, "/lbadmin/services", &web_app::do_services);
  route(verb::get, "/lbadmin/ha", &web_app::do_ha);
  route(verb::get, "/lbadmin/ha/confirm", &web_app::do_ha_confirm);
  route(verb::post, "/lbadmin/ha/action", &web_app::do_ha_action);
  route(verb::post, "/lbadmin/ha/pair", &web_app::do_pair);
  route(verb::get, "/lbadmin/config", &web_app::do_config);
  route(verb::get, "/lbadmin/history", &web_app::do_history);
  route(verb::get, "/lbadmin/logs", &web_app::do_logs);
  for (const auto& form : edit_forms()) {
    route(verb::get, std::string(form.path), &web_app::do_form_page);
    route(verb::post, std::string(form.path), &web_app::do_form_post);
  }
  const auto asset = [this](std::string path, std::string_view type, std::string_view body) {
    router_.add(verb::get, std::move(path),
                [type, body](request_context context) -> awaitable<response> {
                  auto res = make_response(context.req, http::status::ok, type, std::string(body));
                  // Revalidated each time: an upgraded webd serves its own at once.
                  res.set(http::field::cache_control, "no-cache");
                  co_return res;
                });
  };
  asset("/lbadmin/static/lbha.css", "text/css; charset=utf-8", stylesheet());
  asset("/lbadmin/static/lbha.js", "text/javascript; charset=utf-8", script());
}

void web_app::configure(std::string node_name, std::chrono::milliseconds session_idle) {
  settings_.node_name = std::move(node_name);
  settings_.session_idle = session_idle;
  sessions_.set_idle(session_idle);
}

web_app::page_access web_app::page_session(const request_context& context) {
  auto session = session_of(context.req);
  if (!session) return {std::nullopt, redirect(context.req, "/lbadmin/login")};
  return {std::move(session), std::nullopt};
}

web_app::page_access web_app::change_session(const request_context& context,
                                             const form_fields& fields) {
  const auto refuse = [&](std::string why) -> page_access {
    ++counters_.refused_posts;
    return {std::nullopt, text(context.req, http::status::forbidden, "Forbidden: " + why)};
  };
  auto session = session_of(context.req);
  if (!session) return refuse("log in first");
  auto it = fields.find("csrf");
  if (cross_site(context.req) || it == fields.end() ||
      !tokens_equal(it->second, session->csrf_token)) {
    audit()->warn("refused a change for user {} from {}: missing or wrong CSRF token",
                  session->user, context.client);
    return refuse("missing or wrong CSRF token");
  }
  if (session->access != access::admin) {
    audit()->warn("refused a change for user {} from {}: read only (not in lbha-admin)",
                  session->user, context.client);
    return refuse(session->user + " may look but not change (not in lbha-admin)");
  }
  return {std::move(session), std::nullopt};
}

std::optional<web_session> web_app::session_of(const request& req) {
  const auto id = cookie_value(to_std(req[http::field::cookie]), session_cookie);
  if (!id) return std::nullopt;
  return sessions_.find(*id);
}

awaitable<response> web_app::do_overview(request_context context) {
  auto session = session_of(context.req);
  if (!session) co_return redirect(context.req, "/lbadmin/login");
  const auto notice = sessions_.take_notice(session->id);
  const auto read = [this] { return node_.read_overview(); };
  const cli::overview view = co_await off_thread(workers_, read);
  co_return html(
      context.req, http::status::ok,
      render_overview_page(view, viewer_of(*session), settings_.node_name, notice, graphs()));
}

awaitable<response> web_app::do_overview_json(request_context context) {
  auto session = session_of(context.req);
  if (!session)
    co_return make_response(context.req, http::status::unauthorized,
                            "application/json; charset=utf-8", "{\"error\": \"log in\"}\n");
  const auto read = [this] { return node_.read_overview(); };
  const cli::overview view = co_await off_thread(workers_, read);
  co_return make_response(context.req, http::status::ok, "application/json; charset=utf-8",
                          render_overview_json(view, viewer_of(*session), graphs()));
}

awaitable<response> web_app::do_login_page(request_context context) {
  if (session_of(context.req)) co_return redirect(context.req, "/lbadmin/");
  co_return html(context.req, http::status::ok, render_login_page(settings_.node_name, "", ""));
}

awaitable<response> web_app::do_login(request_context context) {
  if (cross_site(context.req)) {
    ++counters_.refused_posts;
    co_return text(context.req, http::status::forbidden, "Forbidden");
  }
  auto fields = parse_form(context.req.body());
  const std::string user = fields["user"];
  const std::string shown = printable(user);  // for the log: a name is the client's text
  const std::string password = fields["password"];
  const auto refuse = [&](http::status status, std::string_view message) {
    return html(context.req, status,
                render_login_page(settings_.node_name, user.size() <= max_user_length ? user : "",
                                  message));
  };
  if (user.empty() || user.size() > max_user_length || password.empty() ||
      password.size() > max_password_length)
    co_return refuse(http::status::unauthorized, "wrong user name or password");
  // (Empty and oversized names never reach PAM; they are not counted as tries.)
  if (const auto wait = limiter_.wait_for(context.client, user); wait.count() > 0) {
    ++counters_.logins_rate_limited;
    audit()->warn("log-in refused for user {} from {}: rate limited ({} s left)", shown,
                  context.client, wait.count());
    co_return refuse(
        http::status::too_many_requests,
        "too many failed log-ins: wait " + std::to_string(wait.count()) + " s before trying again");
  }
  const auto check = [this, user, password] { return auth_.authenticate(user, password); };
  auto outcome = co_await off_thread(workers_, check);
  if (!outcome) {
    const auto& e = outcome.error();
    if (e == errc::auth_unavailable) {
      get_logger("webd")->error("log-in for user {} from {}: {}", shown, context.client,
                                e.message());
      co_return refuse(http::status::service_unavailable,
                       "log-in is unavailable on this node: see lbha-webd's log");
    }
    limiter_.failed(context.client, user);
    ++counters_.login_failures;
    audit()->warn("log-in failed for user {} from {}: {}", shown, context.client, e.message());
    co_return refuse(http::status::unauthorized, e == errc::not_permitted
                                                     ? e.message()
                                                     : std::string("wrong user name or password"));
  }
  limiter_.succeeded(context.client, user);
  ++counters_.logins;
  const auto session = sessions_.create(user, outcome.value());
  audit()->info("log-in: user {} ({}) from {}", shown,
                outcome.value() == access::admin ? "lbha-admin" : "lbha, read only",
                context.client);
  auto res = redirect(context.req, "/lbadmin/");
  res.set(http::field::set_cookie, session_cookie_value(session.id));
  co_return res;
}

awaitable<response> web_app::do_logout(request_context context) {
  auto session = session_of(context.req);
  auto res = redirect(context.req, "/lbadmin/login");
  if (session) {
    if (cross_site(context.req) ||
        !tokens_equal(parse_form(context.req.body())["csrf"], session->csrf_token)) {
      ++counters_.refused_posts;
      co_return text(context.req, http::status::forbidden,
                     "Forbidden: missing or wrong CSRF token");
    }
    sessions_.remove(session->id);
    audit()->info("log-out: user {} from {}", session->user, context.client);
  }
  res.set(http::field::set_cookie, std::string(session_cookie) +
                                       "=; Path=/lbadmin/; Max-Age=0; Secure; HttpOnly; "
                                       "SameSite=Strict");
  co_return res;
}

awaitable<response> web_app::do_set_state(request_context context) {
  auto fields = parse_form(context.req.body());
  auto access = change_session(context, fields);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = access.session;
  const auto state = state_named(fields["state"]);
  if (!state || fields["vip"].empty() || fields["rip"].empty())
    co_return text(context.req, http::status::bad_request,
                   "Bad request: expected vip, rip and state=drain|halt|online");
  const cli::server_state_change change{
      .service = fields["vip"], .server = fields["rip"], .state = *state, .runtime_only = false};
  const auto apply = [this, change] { return node_.set_real_server_state(change); };
  ++counters_.changes;
  const auto outcome = co_await off_thread(workers_, apply);
  audit()->info("user {} from {}: {} {}/{}: {}: {}", session->user, context.client,
                cli::state_word(change.state), change.service, change.server,
                outcome.ok ? "done" : "failed", one_line(outcome.message));
  sessions_.set_notice(session->id, {outcome.message, outcome.ok});
  co_return redirect(context.req, "/lbadmin/");
}

}  // namespace lbha::web
