// web_app's High Availability routes: the status page, the confirmed
// make-active / make-passive / break-pair buttons and pairing, each an lbctl
// command run on the worker pool.
#include "web/form.hpp"
#include "web/ha_page.hpp"
#include "web/off_thread.hpp"
#include "web/replies.hpp"
#include "web/web_app.hpp"

namespace lbha::web {

awaitable<response> web_app::do_ha(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto notice = sessions_.take_notice(access.session->id);
  const auto read_ha = [this] { return node_.read_node(); };
  const auto read = co_await off_thread(workers_, read_ha);
  co_return html(context.req, http::status::ok,
                 render_ha_page(read, viewer_of(*access.session), settings_.node_name, notice));
}

awaitable<response> web_app::do_ha_confirm(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = *access.session;
  if (session.access != access::admin) {
    co_return text(context.req, http::status::forbidden,
                   "Forbidden: " + session.user + " may look but not change (not in lbha-admin)");
  }
  const auto* action = ha_action_named(query_fields(to_std(context.req.target()))["action"]);
  if (!action) {
    co_return text(context.req, http::status::not_found,
                   "Not found: action is make-active, make-passive or break-pair");
  }
  co_return html(context.req, http::status::ok,
                 render_ha_confirm_page(*action, viewer_of(session), settings_.node_name));
}

awaitable<response> web_app::do_ha_action(request_context context) {
  auto fields = parse_form(context.req.body());
  auto access = change_session(context, fields);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = *access.session;
  const auto* action = ha_action_named(fields["action"]);
  if (!action) {
    co_return text(context.req, http::status::bad_request,
                   "Bad request: action is make-active, make-passive or break-pair");
  }
  ++counters_.changes;
  const auto run_it = [this, args = action->lbctl] { return node_.run_lbctl(args); };
  const auto run = co_await off_thread(workers_, run_it);
  const auto command = command_line(action->lbctl);
  audit()->info("user {} from {}: {}: {}: {}", session.user, context.client, command,
                run.ok() ? "done" : "failed", one_line(run.text()));
  sessions_.set_notice(session.id, {command + "\n" + run.text(), run.ok()});
  co_return redirect(context.req, "/lbadmin/ha");
}

awaitable<response> web_app::do_pair(request_context context) {
  auto fields = parse_form(context.req.body());
  auto access = change_session(context, fields);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = *access.session;
  const auto peer = fields["peer"];
  if (peer.empty() || peer.starts_with('-')) {
    co_return text(context.req, http::status::bad_request, "Bad request: the peer's address");
  }
  if (fields["step"] == "host-key") {
    const auto show = [this, peer] {
      return node_.run_lbctl({"pair", "--peer=" + peer, "--show-fingerprint"});
    };
    const auto shown = co_await off_thread(workers_, show);
    const auto fingerprint = shown.ok() ? fingerprint_in(shown.out) : std::nullopt;
    co_return html(
        context.req, http::status::ok,
        render_pair_page(peer, shown, fingerprint, viewer_of(session), settings_.node_name));
  }
  if (fields["step"] != "pair" || fields["fingerprint"].empty() || fields["password"].empty()) {
    co_return text(context.req, http::status::bad_request,
                   "Bad request: expected step=host-key, or step=pair with the fingerprint and "
                   "the password");
  }
  const node_operations::pair_request request{.peer = peer,
                                              .fingerprint = fields["fingerprint"],
                                              .password = fields["password"],
                                              .lock_password = fields["lock"] == "yes"};
  fields["password"].assign(fields["password"].size(), '\0');
  ++counters_.changes;
  const auto pair_it = [this, request] { return node_.pair(request); };
  const auto run = co_await off_thread(workers_, pair_it);
  const auto command = "lbctl pair --peer " + printable(peer) + " --expect-fingerprint " +
                       printable(request.fingerprint) + " --password-file (from the form) " +
                       (request.lock_password ? "--lock-password" : "--keep-password");
  audit()->info("user {} from {}: {}: {}: {}", session.user, context.client, command,
                run.ok() ? "done" : "failed", one_line(run.text()));
  sessions_.set_notice(session.id, {command + "\n" + run.text(), run.ok()});
  co_return redirect(context.req, "/lbadmin/ha");
}

}  // namespace lbha::web
