#include "common/config/values.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <limits>

namespace lbha::config {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

std::optional<uint64_t> parse_unsigned(std::string_view text) {
  if (text.empty() ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<status_range> parse_status_range(std::string_view text) {
  const auto dash = text.find('-');
  const auto first = parse_unsigned(text.substr(0, dash));
  const auto last = dash == std::string_view::npos ? first : parse_unsigned(text.substr(dash + 1));
  if (!first || !last || *first < 100 || *last > 599 || *first > *last) return std::nullopt;
  return status_range{static_cast<unsigned>(*first), static_cast<unsigned>(*last)};
}

std::optional<bool> parse_bool(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "yes" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "off") return false;
  return std::nullopt;
}

duration_parse parse_duration_ms(std::string_view text) {
  text = trim(text);
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view number = text.substr(0, digits);
  std::string_view unit = text.substr(digits);
  const std::string expected =
      "expected a duration such as 100ms, 2s, 5m, 1h or a number of milliseconds";
  if (!text.empty() && text.front() == '-') return {std::nullopt, "must not be negative"};
  auto value = parse_unsigned(number);
  if (!value) return {std::nullopt, expected + ", got '" + std::string(text) + "'"};
  uint64_t scale = 0;
  if (unit.empty() || unit == "ms") {
    scale = 1;
  } else if (unit == "s") {
    scale = 1000;
  } else if (unit == "m") {
    scale = 60'000;
  } else if (unit == "h") {
    scale = 3'600'000;
  } else {
    return {std::nullopt, expected + ", got '" + std::string(text) + "'"};
  }
  if (*value > std::numeric_limits<uint32_t>::max() / scale) {
    return {std::nullopt, "duration '" + std::string(text) + "' is too long"};
  }
  return {*value * scale, ""};
}

std::string format_duration_ms(uint64_t ms) {
  if (ms == 0) return "0";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

port_range_parse parse_port_range(std::string_view text) {
  text = trim(text);
  port_range_parse result;
  const auto bad = [&] {
    result.error =
        "expected a port (443) or a port range (8000-8010), got '" + std::string(text) + "'";
    return result;
  };
  if (!text.empty() && text.front() == '-') {
    result.error = "port must not be negative";
    return result;
  }
  const auto dash = text.find('-');
  const auto first = parse_unsigned(trim(text.substr(0, dash)));
  if (!first || *first > std::numeric_limits<uint32_t>::max()) return bad();
  result.first = result.last = static_cast<uint32_t>(*first);
  if (dash != std::string_view::npos) {
    const auto last = parse_unsigned(trim(text.substr(dash + 1)));
    if (!last || *last > std::numeric_limits<uint32_t>::max()) return bad();
    result.last = static_cast<uint32_t>(*last);
  }
  return result;
}

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    parts.emplace_back(trim(text.substr(start, comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

bool ip_address::is_unspecified() const {
  if (v6) return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
  return bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0 && bytes[15] == 0;
}

std::optional<ip_address> parse_ip(std::string_view text) {
  const std::string copy(text);  // inet_pton wants a terminated string
  ip_address address;
  in_addr v4{};
  if (inet_pton(AF_INET, copy.c_str(), &v4) == 1) {
    address.bytes[10] = address.bytes[11] = 0xff;
    std::memcpy(address.bytes.data() + 12, &v4, 4);
    return address;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, copy.c_str(), &v6) == 1) {
    address.v6 = true;
    std::memcpy(address.bytes.data(), &v6, 16);
    return address;
  }
  return std::nullopt;
}

listen_parse parse_listen_address(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return {{}, "expected ADDRESS:PORT, got '" + std::string(text) + "'"};
  std::string_view host = text.substr(0, colon);
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  const auto ip = parse_ip(host);
  // An IPv6 address without brackets is ambiguous ("::1:80"): refuse it.
  if (!ip || ip->v6 != bracketed) {
    return {{}, "expected ADDRESS:PORT (IPv6 as [ADDRESS]:PORT), got '" + std::string(text) + "'"};
  }
  const auto port = parse_unsigned(text.substr(colon + 1));
  if (!port || *port == 0 || *port > 65535) {
    return {{}, "port must be 1..65535 in '" + std::string(text) + "'"};
  }
  return {listen_address{std::string(host), static_cast<uint32_t>(*port)}, {}};
}

std::string check_label(std::string_view label) {
  if (label.empty()) return "must not be empty";
  if (label.size() > 64) return "must be at most 64 characters";
  for (char c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != ':') {
      return "may contain only letters, digits and _ . : - (got '" + std::string(label) + "')";
    }
  }
  return "";
}

}  // namespace lbha::config
