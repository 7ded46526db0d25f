// The High Availability page (the seed's 11.1 "High-Availability
// Configuration"): this node and the peer with their roles, addresses,
// config generations, heartbeat paths and their state, config replication
// and persistence sync, as `lbctl ha status`, `lbctl replication status` and
// `lbctl sync status` print them; for lbha-admin, Make Active, Make Passive
// and Break Clustered Pair (each confirmed first), and on an unpaired node the
// pairing of a peer (its address, then its host key to confirm and the
// password of its SSH user). Pure functions of one read of the node (the
// read /metrics makes: heartbeatd, replicatord and syncd asked at once),
// rendered by lbctl's own text views.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "web/metrics.hpp"
#include "web/node_operations.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

// The buttons, each an lbctl command run after a confirmation page.
struct ha_action {
  std::string_view name;      // make-active | make-passive | break-pair (the form's `action`)
  std::string_view label;     // "Make Active"
  std::string_view question;  // what the confirmation page asks
  std::vector<std::string> lbctl;
};
const std::vector<ha_action>& ha_actions();
const ha_action* ha_action_named(std::string_view name);

std::string render_ha_page(const node_read& read, const page_viewer& viewer, std::string_view node,
                           const page_notice& notice);
std::string render_ha_confirm_page(const ha_action& action, const page_viewer& viewer,
                                   std::string_view node);

// The SHA256:... fingerprint in what `lbctl pair --show-fingerprint` printed.
std::optional<std::string> fingerprint_in(std::string_view shown);

// Pairing, second step: what `lbctl pair --show-fingerprint` said about
// `peer`; with its fingerprint, the form that pairs (password, lock it).
std::string render_pair_page(std::string_view peer, const node_operations::command_run& shown,
                             const std::optional<std::string>& fingerprint,
                             const page_viewer& viewer, std::string_view node);

}  // namespace lbha::web
