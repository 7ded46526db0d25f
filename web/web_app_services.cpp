// web_app's Virtual Services routes: the list and the add / modify / delete
// forms, each change an lbctl command (lbctl_forms.hpp) run on the worker pool.
#include "web/errc.hpp"
#include "web/form.hpp"
#include "web/off_thread.hpp"
#include "web/replies.hpp"
#include "web/services_page.hpp"
#include "web/web_app.hpp"

namespace lbha::web {

namespace {

// The item the form is about, as committed: what its page shows as "Now".
std::string current_settings(const edit_form& form, const node_operations::config_read& read,
                             const form_fields& fields) {
  if (!read.config || form.kind == edit_kind::vip_add) return "";
  const auto vip = fields.contains("vip") ? fields.at("vip") : std::string();
  // Adding a real server shows its service, with the servers it has.
  if (!form.real_server || form.kind == edit_kind::rip_add) {
    return describe_virtual_service(*read.config, vip);
  }
  const auto rip = fields.contains("rip") ? fields.at("rip") : std::string();
  return describe_real_server(*read.config, vip, rip);
}

}  // namespace

awaitable<response> web_app::do_services(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto notice = sessions_.take_notice(access.session->id);
  const auto read_config = [this] { return node_.read_cluster_config(); };
  const auto read = co_await off_thread(workers_, read_config);
  co_return html(
      context.req, http::status::ok,
      render_services_page(read, viewer_of(*access.session), settings_.node_name, notice));
}

awaitable<response> web_app::do_form_page(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = *access.session;
  const auto* form = edit_form_at(path_of(to_std(context.req.target())));
  if (session.access != access::admin) {
    co_return text(context.req, http::status::forbidden,
                   "Forbidden: " + session.user + " may look but not change (not in lbha-admin)");
  }
  form_page_state state;
  state.submitted = query_fields(to_std(context.req.target()));
  const auto read_config = [this] { return node_.read_cluster_config(); };
  const auto read = co_await off_thread(workers_, read_config);
  state.current = current_settings(*form, read, state.submitted);
  co_return html(context.req, http::status::ok,
                 render_form_page(*form, state, viewer_of(session), settings_.node_name));
}

awaitable<response> web_app::do_form_post(request_context context) {
  auto fields = parse_form(context.req.body());
  auto access = change_session(context, fields);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto& session = *access.session;
  const auto* form = edit_form_at(path_of(to_std(context.req.target())));
  form_page_state state;
  state.submitted = fields;
  state.submitted.erase("csrf");
  state.submitted.erase("previewed");
  std::string error;
  const auto dry_run = lbctl_args(*form, fields, true, error);
  const auto commit = lbctl_args(*form, fields, false, error);
  if (!dry_run || !commit) {
    state.output = {"lbctl: " + error, false};
    co_return html(context.req, http::status::bad_request,
                   render_form_page(*form, state, viewer_of(session), settings_.node_name));
  }
  // The dry run always comes first: a commit goes ahead only when its diff is
  // the one the viewer was shown (the digest the Preview put in the form).
  const bool commit_asked = fields["step"] == "commit";
  const auto preview_it = [this, args = *dry_run] { return node_.run_lbctl(args); };
  const auto preview = co_await off_thread(workers_, preview_it);
  const auto digest = preview_digest(preview.out);
  if (preview.ok() && commit_asked && tokens_equal(fields["previewed"], digest)) {
    state.command = command_line(*commit);
    ++counters_.changes;
    const auto commit_it = [this, args = *commit] { return node_.run_lbctl(args); };
    const auto run = co_await off_thread(workers_, commit_it);
    audit()->info("user {} from {}: {}: {}: {}", session.user, context.client,
                  printable(state.command), run.ok() ? "done" : "failed",
                  printable(one_line(run.text())));
    if (run.ok()) {
      sessions_.set_notice(session.id, {state.command + "\n" + run.text(), true});
      co_return redirect(context.req, "/lbadmin/services");
    }
    state.output = {run.text(), false};
  } else {
    state.command = command_line(*dry_run);
    std::string text = preview.text();
    if (preview.ok() && commit_asked) {
      text =
          "Not committed: this is not the change that was previewed (the form or the "
          "committed config changed since). Review it, then Commit.\n" +
          text;
    }
    state.output = {text, preview.ok()};
    if (preview.ok()) state.previewed = digest;
  }
  const auto read_config = [this] { return node_.read_cluster_config(); };
  const auto read = co_await off_thread(workers_, read_config);
  state.current = current_settings(*form, read, state.submitted);
  co_return html(context.req,
                 state.output.ok ? http::status::ok : http::status::unprocessable_entity,
                 render_form_page(*form, state, viewer_of(session), settings_.node_name));
}

}  // namespace lbha::web
