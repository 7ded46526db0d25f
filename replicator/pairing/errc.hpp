// Why a pairing or replication step failed. The error's detail is the
// operator-facing sentence (wrong password, host key changed, peer already
// paired); the code lets a caller branch without reading it. Errors from other
// modules (common/config, common/state) pass through with their own codes.
#pragma once

#include <system_error>

#include "common/result.hpp"

namespace lbha::pairing {

enum class errc {
  refused = 1,        // a rule said no: already paired, not paired, older generation or term
  invalid_config,     // a config that does not validate
  io,                 // a file (cluster.yaml, authorized_keys) cannot be read or written
  node_key,           // this node's SSH key cannot be loaded or generated
  unreachable,        // SSH: no TCP connection or key exchange with the peer
  host_key_mismatch,  // SSH: the peer's host key is not the pinned one (password never sent)
  auth_failed,        // SSH: wrong password, or the pair key refused
  exec_failed,        // SSH: the session broke while running the receiver
  bad_request,        // a garbled request on the receiver's stdin
  bad_reply,          // a garbled or missing reply from the peer's receiver
};

const std::error_category& pairing_category();

inline std::error_code make_error_code(errc e) { return {static_cast<int>(e), pairing_category()}; }

}  // namespace lbha::pairing

template <>
struct std::is_error_code_enum<lbha::pairing::errc> : std::true_type {};
