// What every route of web_app answers with, and how it writes the audit log:
// the small pieces web_app.cpp (log-in, overview) and the change pages
// (web_app_services.cpp, web_app_ha.cpp) share.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/logging.hpp"
#include "web/http_types.hpp"
#include "web/page_layout.hpp"
#include "web/session_store.hpp"

namespace lbha::web {

// The `webd-audit` logger: one line per log-in and per change (journalctl -t webd-audit).
std::shared_ptr<spdlog::logger> audit();

// 303 See Other to `location`.
response redirect(const request& req, std::string_view location);
response text(const request& req, http::status status, std::string body);
response html(const request& req, http::status status, std::string body);

// Text from a client as it may appear in a log line: no control characters
// (a name with a newline would forge a line of its own).
std::string printable(std::string_view text);

// lbctl's lines as one audit line: "a; b".
std::string one_line(std::string text);

page_viewer viewer_of(const web_session& session);

}  // namespace lbha::web
