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
#include "common/clock.hpp"
#include "web/connection_history.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

// Each service's connections over the last hour (connection_history.hpp),
// drawn as of `now`; without a history, the LAST HOUR column stays empty.
struct overview_graphs {
  const connection_history* history = nullptr;
  clock::time_point now{};
};

// The live fragment: role, peer, table (or why a daemon could not be read).
std::string render_overview_fragment(const cli::overview& view, const page_viewer& viewer,
                                     const overview_graphs& graphs = {});

// The whole page; `notice` is what the viewer's last action did.
std::string render_overview_page(const cli::overview& view, const page_viewer& viewer,
                                 std::string_view node, const page_notice& notice,
                                 const overview_graphs& graphs = {});

// What the page polls: {"schema": "lbha.webui.overview.v1", "html": <the
// fragment>, "status": <lbctl status --json's document>}.
std::string render_overview_json(const cli::overview& view, const page_viewer& viewer,
                                 const overview_graphs& graphs = {});

}  // namespace lbha::web
