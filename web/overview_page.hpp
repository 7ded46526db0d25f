// The System Overview page (the seed's 8.1): the node's HA role and the
// peer's, then the seed's table row for row: each virtual service (VIRTUAL
// SERVICE, IP, PORTS, CONNS, PROTOCOL, METHOD, MODE) followed by its real
// servers (REAL SERVER, IP, PORTS, WEIGHT, CONNS), up green, down red, with
// Drain / Halt / Online for a viewer who may change the node.
//
// Pure functions of lbctl's overview (cli/status_view.hpp), so the page is
// tested from fixed status messages and shows what `lbctl status` shows.
// The live part is one fragment: the page embeds it, the JSON endpoint
// re-sends it every poll and the script swaps it in.
#pragma once

#include <string>
#include <string_view>

#include "cli/status_view.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

// The live fragment: role, peer, table (or why a daemon could not be read).
std::string render_overview_fragment(const cli::overview& view, const page_viewer& viewer);

// The whole page; `notice` (text) is what the viewer's last action did.
std::string render_overview_page(const cli::overview& view, const page_viewer& viewer,
                                 std::string_view node, std::string_view notice);

// What the page polls: {"schema": "lbha.webui.overview.v1", "html": <the
// fragment>, "status": <lbctl status --json's document>}.
std::string render_overview_json(const cli::overview& view, const page_viewer& viewer);

}  // namespace lbha::web
