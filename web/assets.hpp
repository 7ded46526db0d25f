// The WebUI's stylesheet and script, compiled into lbha-webd: nothing is
// fetched from elsewhere (no CDN; the content policy allows 'self' only), and
// nothing needs building. The script does one thing: every 2 s it asks
// /lbadmin/api/overview for the overview's fragment and swaps it in, and on
// a 401 (the session ended) goes to the log-in page.
#pragma once

#include <string_view>

namespace lbha::web {

std::string_view stylesheet();
std::string_view script();

}  // namespace lbha::web
