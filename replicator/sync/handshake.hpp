// The peers protocol's text handshake.
//
// The caller sends three lines: "HAProxyS 2.1", the name of the peer it
// calls, and "<its own name> <pid> <relative pid>". The called side answers
// one status line; anything but 200 ends the session. Lines end in LF or CRLF.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "replicator/sync/varint.hpp"

namespace lbha::sync {

inline constexpr std::string_view protocol_id = "HAProxyS";
inline constexpr int protocol_major = 2;
inline constexpr int protocol_minor = 1;
inline constexpr std::size_t max_handshake_line = 512;

enum class status_code : int {
  ok = 200,
  try_again = 300,       // only ever sent to a peer's own older process
  protocol_error = 501,
  bad_version = 502,     // major must be 2, minor <= 1
  bad_local_name = 503,  // the called name is not ours
  unknown_peer = 504,    // the caller is not a configured peer
};

struct hello {
  std::string called_name;  // the peer being called
  std::string sender_name;  // the caller's own name
  std::string pid;
  std::string relative_pid;
};

std::string format_hello(const hello& h);
std::string format_status(status_code code);

// Checks the protocol line ("HAProxyS <major>.<minor>"): ok, protocol_error or bad_version.
status_code check_protocol_line(std::string_view line);
// Parses "<name> <pid> <relative pid>" into h; false when malformed.
bool parse_sender_line(std::string_view line, hello& h);
// Parses a status line; nullopt when it is not a number.
std::optional<int> parse_status(std::string_view line);

// Splits a byte stream into lines (LF or CRLF) during the handshake.
class line_splitter {
 public:
  enum class result { line, need_more, too_long };

  // Takes bytes from `in` up to and including the first LF. `consumed` tells
  // how many bytes of `in` were used, so binary messages after the handshake
  // stay in the caller's buffer.
  result take(byte_view in, std::size_t& consumed, std::string& line);

 private:
  std::string partial_;
};

}  // namespace lbha::sync
