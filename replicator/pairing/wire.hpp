// What travels over SSH between the primary's replicatord and the peer's
// lbha-receive-config.
//
// Request (stdin of the forced command): one header line
//   LBHA-RECEIVE 1 <length> <sha256 hex of body>\n
// followed by exactly <length> bytes: a serialized lbha.v1.ReceiveRequest.
// The receiver applies nothing until it has the whole body and its digest
// matches, so a transfer cut mid-way (SIGKILL, network loss) changes nothing.
//
// Reply (stdout): one line
//   OK|ERROR node=<name> generation=<n> term=<n> cluster=<id> -- <message>
// readable by an operator running the receiver by hand. A fetch's OK reply
// carries the config as the message (encode_config_message).
#pragma once

#include <cstdint>
#include <istream>
#include <string>

#include "lbha/v1/replication.pb.h"
#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

inline constexpr std::size_t max_request_bytes = 64 * 1024 * 1024;

std::string encode_request(const lbha::v1::ReceiveRequest& request);

// Reads one framed request from `in`. Fails on a bad header, a short body
// (torn transfer), a digest mismatch or an unparseable body.
result<lbha::v1::ReceiveRequest> decode_request(std::istream& in);

struct receive_reply {
  bool ok = false;
  std::string node;
  std::uint64_t generation = 0;
  std::uint64_t term = 0;
  std::string cluster_id;
  std::string message;

  bool operator==(const receive_reply&) const = default;
};

std::string format_reply(const receive_reply& reply);  // no trailing newline

// Parses the last reply line found in `output` (the receiver prints only one,
// but a login banner or shell noise may precede it).
result<receive_reply> parse_reply(const std::string& output);

std::string sha256_hex(const std::string& data);

// A fetch reply's message: the serialized ClusterConfig in base64 (one line,
// so it fits the reply format), and back.
std::string encode_config_message(const lbha::v1::ClusterConfig& config);
result<lbha::v1::ClusterConfig> decode_config_message(const std::string& message);

}  // namespace lbha::pairing
