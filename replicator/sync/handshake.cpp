#include "replicator/sync/handshake.hpp"

#include <charconv>

namespace lbha::sync {
namespace {

bool parse_int(std::string_view text, int& value) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size();
}

}  // namespace

std::string format_hello(const hello& h) {
  std::string out;
  out.append(protocol_id).append(" ");
  out.append(std::to_string(protocol_major)).append(".").append(std::to_string(protocol_minor));
  out.append("\n").append(h.called_name).append("\n");
  out.append(h.sender_name).append(" ").append(h.pid).append(" ").append(h.relative_pid);
  out.append("\n");
  return out;
}

std::string format_status(status_code code) {
  return std::to_string(static_cast<int>(code)) + "\n";
}

status_code check_protocol_line(std::string_view line) {
  if (line.size() <= protocol_id.size() || line.substr(0, protocol_id.size()) != protocol_id ||
      line[protocol_id.size()] != ' ') {
    return status_code::protocol_error;
  }
  const std::string_view version = line.substr(protocol_id.size() + 1);
  const auto dot = version.find('.');
  int major = 0, minor = 0;
  if (dot == std::string_view::npos || !parse_int(version.substr(0, dot), major) ||
      !parse_int(version.substr(dot + 1), minor)) {
    return status_code::protocol_error;
  }
  if (major != protocol_major || minor > protocol_minor) return status_code::bad_version;
  return status_code::ok;
}

bool parse_sender_line(std::string_view line, hello& h) {
  const auto first = line.find(' ');
  if (first == std::string_view::npos || first == 0) return false;
  const auto second = line.find(' ', first + 1);
  if (second == std::string_view::npos || second == first + 1 || second + 1 >= line.size()) {
    return false;
  }
  h.sender_name = std::string(line.substr(0, first));
  h.pid = std::string(line.substr(first + 1, second - first - 1));
  h.relative_pid = std::string(line.substr(second + 1));
  return true;
}

std::optional<int> parse_status(std::string_view line) {
  int value = 0;
  if (!parse_int(line, value)) return std::nullopt;
  return value;
}

line_splitter::result line_splitter::take(byte_view in, std::size_t& consumed, std::string& line) {
  consumed = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\n') {
      partial_.append(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(i));
      consumed = i + 1;
      if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
      if (partial_.size() > max_handshake_line) return result::too_long;
      line = std::move(partial_);
      partial_.clear();
      return result::line;
    }
    if (partial_.size() + i >= max_handshake_line) return result::too_long;
  }
  partial_.append(in.begin(), in.end());
  consumed = in.size();
  return result::need_more;
}

}  // namespace lbha::sync
