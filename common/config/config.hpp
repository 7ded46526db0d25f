// Loading, validating and writing lbha's two YAML files.
//
// node.yaml maps onto lbha.v1.NodeConfig and cluster.yaml onto
// lbha.v1.ClusterConfig (proto/lbha/v1/config.proto). Loading collects every
// error rather than stopping at the first, and each error names the file, the
// line and the key (a dotted path such as
// `virtual_services[1].real_servers[0].weight`), so an operator can fix a
// whole file in one pass. A loaded config has every default filled in.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha::config {

enum class errc {
  unreadable = 1,  // the file cannot be read
  invalid,         // read, but with errors (syntax, types, unknown keys, rules)
};

const std::error_category& config_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), config_category()}; }

struct config_error {
  std::string file;
  int line = 0;  // 1-based; 0 when the error is not tied to a line (e.g. a config built in code)
  std::string key;
  std::string message;

  // "file:line: key: message"; the line is omitted when 0, the key when empty
  // (a YAML syntax error), the file when empty.
  std::string to_string() const;
};

// errc::invalid whose message is every error's "file:line: key: message",
// one per line, in file order.
error to_error(const std::vector<config_error>& errors);

// Parses YAML text; `file_name` is used in error messages only.
result<lbha::v1::ClusterConfig> parse_cluster_config(std::string_view yaml,
                                                     std::string_view file_name);
result<lbha::v1::NodeConfig> parse_node_config(std::string_view yaml, std::string_view file_name);

// Reads and parses a file. An unreadable file is errc::unreadable naming it.
result<lbha::v1::ClusterConfig> load_cluster_config(const std::filesystem::path& path);
result<lbha::v1::NodeConfig> load_node_config(const std::filesystem::path& path);

// The same parse, for callers that need each error apart (lbctl config
// validate --json): every error, structured, in file order; empty when valid.
std::vector<config_error> cluster_config_errors(std::string_view yaml, std::string_view file_name);
std::vector<config_error> node_config_errors(std::string_view yaml, std::string_view file_name);

// Fills every unset field of a message built in code with its documented
// default (parse_*/load_* already did this, using which keys the file wrote).
// Zero means unset, except where zero is meaningful: a real server's weight
// is defaulted only while its state is UNSPECIFIED, the GARP second burst only
// while the GARP mode is UNSPECIFIED, arp_probe.enabled only when arp_probe is
// absent. Idempotent; a loaded config is a fixed point.
void apply_defaults(lbha::v1::ClusterConfig& config);
void apply_defaults(lbha::v1::NodeConfig& config);

// Bounds of the heartbeat settings (cluster.yaml `ha`, node.yaml), so that every
// config that validates keeps a takeover bounded in time and in packets sent:
// one takeover sends at most 2 x max_garp_count rounds, and probes at most
// max_probe_count times per VIP. Durations in ms.
namespace limits {
inline constexpr uint32_t min_interval_ms = 1;  // every interval where 0 is not "off"
inline constexpr uint32_t max_interval_ms = 10'000;
inline constexpr uint32_t max_deadtime_ms = 300'000;
inline constexpr uint32_t max_initdead_ms = 3'600'000;
inline constexpr uint32_t max_garp_count = 100;
inline constexpr uint32_t max_garp_interval_ms = 1'000;
inline constexpr uint32_t max_second_burst_delay_ms = 60'000;
inline constexpr uint32_t min_refresh_interval_ms = 100;
inline constexpr uint32_t max_refresh_interval_ms = 3'600'000;
inline constexpr uint32_t max_probe_count = 10;
inline constexpr uint32_t max_probe_timeout_ms = 10'000;
inline constexpr int max_ping_nodes = 16;
inline constexpr int max_paths = 8;                    // peer_addresses / local_addresses
inline constexpr uint32_t min_alert_timeout_ms = 100;  // node.yaml alerts.timeout
inline constexpr uint32_t max_alert_timeout_ms = 600'000;
inline constexpr uint32_t max_alert_queue = 10'000;          // alerts.queue_limit
inline constexpr uint32_t min_web_session_idle_ms = 60'000;  // node.yaml web.session_idle
inline constexpr uint32_t max_web_session_idle_ms = 86'400'000;
}  // namespace limits

// Semantic checks on an in-memory config (the same rules the loader applies
// after parsing): labels, addresses, ports, weights, timings, conflicts.
// The message is checked as it is: call apply_defaults first on one built in
// code. Errors carry the YAML key path and line 0; `file_name` is copied into each.
std::vector<config_error> validate(const lbha::v1::ClusterConfig& config,
                                   std::string_view file_name = "");
std::vector<config_error> validate(const lbha::v1::NodeConfig& config,
                                   std::string_view file_name = "");

// Writes a config back as YAML that parse_*_config reads to an equal message.
std::string to_yaml(const lbha::v1::ClusterConfig& config);
std::string to_yaml(const lbha::v1::NodeConfig& config);

}  // namespace lbha::config

template <>
struct std::is_error_code_enum<lbha::config::errc> : std::true_type {};
