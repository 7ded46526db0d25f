#include "web/router.hpp"

namespace lbha::web {

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

void router::add(http::verb method, std::string path, request_handler handler) {
  routes_[{std::move(path), method}] = std::move(handler);
}

router::match_result router::match(http::verb method, std::string_view target) const {
  const std::string path(path_of(target));
  match_result out;
  if (auto it = routes_.find(std::pair{path, method}); it != routes_.end()) {
    out.handler = &it->second;
    return out;
  }
  for (const auto& [key, handler] : routes_) {
    if (key.first != path) continue;
    out.refusal = http::status::method_not_allowed;
    out.allow += (out.allow.empty() ? "" : ", ") + std::string(to_std(http::to_string(key.second)));
  }
  return out;
}

awaitable<response> router::handle(request_context context) const {
  const auto found = match(context.req.method(), to_std(context.req.target()));
  if (found.handler) co_return co_await (*found.handler)(std::move(context));
  auto res = make_response(context.req, found.refusal, "text/plain; charset=utf-8",
                           std::string(to_std(http::obsolete_reason(found.refusal))) + "\n");
  if (!found.allow.empty()) res.set(http::field::allow, found.allow);
  co_return res;
}

}  // namespace lbha::web
