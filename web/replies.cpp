#include "web/replies.hpp"

namespace lbha::web {

std::shared_ptr<spdlog::logger> audit() { return get_logger("webd-audit"); }

response redirect(const request& req, std::string_view location) {
  auto res = make_response(req, http::status::see_other, "text/plain; charset=utf-8", "");
  res.set(http::field::location, to_beast(location));
  return res;
}

response text(const request& req, http::status status, std::string body) {
  return make_response(req, status, "text/plain; charset=utf-8", std::move(body) + "\n");
}

response html(const request& req, http::status status, std::string body) {
  return make_response(req, status, "text/html; charset=utf-8", std::move(body));
}

std::string printable(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

std::string one_line(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::string out;
  for (char c : text) out += c == '\n' ? std::string("; ") : std::string(1, c);
  return out;
}

page_viewer viewer_of(const web_session& session) {
  return {session.user, session.access, session.csrf_token};
}

}  // namespace lbha::web
