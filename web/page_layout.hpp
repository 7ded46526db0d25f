// The frame every WebUI page shares: head (the stylesheet and script webd
// serves itself: no CDN, no build step), the top bar with the node, the user
// and the log-out button, then the page's own body.
#pragma once

#include <string>
#include <string_view>

#include "web/session_store.hpp"

namespace lbha::web {

// Who is looking: decides which buttons a page shows and the CSRF token its
// forms carry.
struct page_viewer {
  std::string user;
  web::access access = access::read_only;
  std::string csrf_token;
  bool can_change() const { return access == access::admin; }
};

// `body` is HTML already (built from escaped values); `title` and `node` are
// text. `viewer` is null on the log-in page (no top bar).
std::string render_page(std::string_view title, std::string_view node, std::string_view body,
                        const page_viewer* viewer);

// A hidden form field with the viewer's CSRF token.
std::string csrf_field(const page_viewer& viewer);

}  // namespace lbha::web
