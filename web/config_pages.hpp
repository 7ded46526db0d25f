// The WebUI's read-only pages besides the overview: View Configuration (the
// committed cluster.yaml and this node's node.yaml, as `lbctl config show`
// prints them), History (`lbctl config history`, and one generation shown)
// and Logs (each daemon's last journal lines, by daemon and level), the
// seed's "View Configuration" and "Logs & Reports". Pure functions of what
// was read.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "web/lbctl_forms.hpp"
#include "web/node_operations.hpp"
#include "web/page_layout.hpp"

namespace lbha::web {

// A configuration file's text with the value of every key that names a
// secret (password, secret, token, passphrase, psk) replaced by ********.
// lbha keeps its keys in files of their own, never in node.yaml or
// cluster.yaml; this keeps a secret someone wrote there off the page anyway.
std::string mask_secrets(std::string_view yaml);

std::string render_config_page(const node_operations::configuration_view& view,
                               const page_viewer& viewer, std::string_view node);

// `history`: `lbctl config history`; `shown`, when a generation was asked
// for: `lbctl config show --generation N`.
std::string render_history_page(const node_operations::command_run& history,
                                std::optional<std::uint64_t> generation,
                                const node_operations::command_run* shown,
                                const page_viewer& viewer, std::string_view node);

// The log query of a request's query string (?daemon=&priority=&lines=):
// the defaults for what is absent, nullopt with `error` for a bad value.
std::optional<node_operations::log_query> parse_log_query(const form_fields& fields,
                                                          std::string& error);
std::string render_logs_page(const node_operations::log_query& query,
                             const node_operations::command_run& logs, const page_viewer& viewer,
                             std::string_view node);

}  // namespace lbha::web
