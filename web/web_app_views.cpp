// web_app's read-only pages: View Configuration, History and Logs.
#include <charconv>

#include "web/config_pages.hpp"
#include "web/form.hpp"
#include "web/off_thread.hpp"
#include "web/replies.hpp"
#include "web/web_app.hpp"

namespace lbha::web {

awaitable<response> web_app::do_config(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  const auto read = [this] { return node_.read_configuration(); };
  const auto view = co_await off_thread(workers_, read);
  co_return html(context.req, http::status::ok,
                 render_config_page(view, viewer_of(*access.session), settings_.node_name));
}

awaitable<response> web_app::do_history(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  auto fields = query_fields(to_std(context.req.target()));
  std::optional<std::uint64_t> generation;
  if (const auto& asked = fields["generation"]; !asked.empty()) {
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(asked.data(), asked.data() + asked.size(), number);
    if (ec != std::errc{} || end != asked.data() + asked.size() || number == 0) {
      co_return text(context.req, http::status::bad_request,
                     "Bad request: generation is a number from lbctl config history");
    }
    generation = number;
  }
  struct history_read {
    node_operations::command_run history;
    std::optional<node_operations::command_run> shown;
  };
  const auto read = [this, generation] {
    history_read out{node_.run_lbctl({"config", "history"}), std::nullopt};
    if (generation) {
      out.shown = node_.run_lbctl({"config", "show", "--generation", std::to_string(*generation)});
    }
    return out;
  };
  const auto got = co_await off_thread(workers_, read);
  co_return html(context.req, http::status::ok,
                 render_history_page(got.history, generation, got.shown ? &*got.shown : nullptr,
                                     viewer_of(*access.session), settings_.node_name));
}

awaitable<response> web_app::do_logs(request_context context) {
  auto access = page_session(context);
  if (access.refusal) co_return std::move(*access.refusal);
  std::string error;
  const auto query = parse_log_query(query_fields(to_std(context.req.target())), error);
  if (!query) co_return text(context.req, http::status::bad_request, "Bad request: " + error);
  const auto read = [this, query = *query] { return node_.read_logs(query); };
  const auto logs = co_await off_thread(workers_, read);
  co_return html(context.req, http::status::ok,
                 render_logs_page(*query, logs, viewer_of(*access.session), settings_.node_name));
}

}  // namespace lbha::web
