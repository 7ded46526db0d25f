// Parsing and formatting of the scalar values that appear in lbha's YAML:
// durations, port lists, IP addresses and labels.
//
// Pure functions with no YAML in sight, so the reader, the validator and
// lbctl share one definition of what "5m" or "8000-8010" means.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbha::config {

// "100ms", "2s", "5m", "1h", or a bare integer meaning milliseconds (HAProxy's
// convention). Returns the value in milliseconds, or an error message.
struct duration_parse {
  std::optional<uint64_t> ms;
  std::string error;
};
duration_parse parse_duration_ms(std::string_view text);

// The shortest exact spelling: 1800000 -> "30m", 1500 -> "1500ms", 0 -> "0".
std::string format_duration_ms(uint64_t ms);

// One element of a `ports:` value: "443" or "8000-8010". Bounds are checked
// by the validator, not here, so "70000" parses (and is reported with its key).
struct port_range_parse {
  uint32_t first = 0;
  uint32_t last = 0;
  std::string error;  // non-empty when the text is not a number or a range
};
port_range_parse parse_port_range(std::string_view text);

// Splits "80, 443,8000-8010" at commas (the appliance WebUI's spelling).
std::vector<std::string> split_commas(std::string_view text);

// An IPv4 or IPv6 literal in binary form (v4 as v4-mapped v6), so two
// spellings of one address compare equal. nullopt when not an address.
struct ip_address {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
  bool operator==(const ip_address&) const = default;
  bool is_unspecified() const;
};
std::optional<ip_address> parse_ip(std::string_view text);

// A listening socket's "ADDRESS:PORT": "0.0.0.0:9443", "192.0.2.1:9443",
// "[::]:9443" (IPv6 in brackets, as in a URL). The address may be the
// unspecified one (every address); the port must be 1..65535.
struct listen_address {
  std::string address;  // without brackets
  uint32_t port = 0;
};
struct listen_parse {
  std::optional<listen_address> value;
  std::string error;  // why not, when value is unset
};
listen_parse parse_listen_address(std::string_view text);

// Labels (virtual services, real servers, node names): 1..64 characters of
// [A-Za-z0-9_.:-]. They appear in logs, lbctl output and HAProxy-style names,
// where spaces and quotes would need escaping everywhere. "" when fine, else why not.
std::string check_label(std::string_view label);

// Strict unsigned decimal parse ("+1", "0x10", "1e3" and "" are rejected).
std::optional<uint64_t> parse_unsigned(std::string_view text);

// An HTTP check's expect_status: "200" or "200-299", codes 100..599, first <= last.
struct status_range {
  unsigned first = 200;
  unsigned last = 399;  // the default: any 2xx or 3xx
  bool contains(unsigned code) const { return code >= first && code <= last; }
};
std::optional<status_range> parse_status_range(std::string_view text);

// true/yes/on or false/no/off, in any case; nullopt for anything else.
std::optional<bool> parse_bool(std::string_view text);

}  // namespace lbha::config
