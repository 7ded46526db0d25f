// <state>/pairing.pending: a pairing the primary offered and has not finished
// (mode 0600: it holds the heartbeat key and the pair certificate's key).
//
//   cluster_id: <32 hex digits>
//   peer_fingerprint: SHA256:...      the confirmed host key of the secondary offered to
//   heartbeat_key: <id> <hex secret>
//   pair_certificate: |               pair.pem's text
//     -----BEGIN CERTIFICATE----- ...
//
// replicatord writes it before it sends a pair offer and removes it once the
// pairing is complete; a retry to the same peer (same host key) re-offers the
// same cluster, so a pairing cut after the secondary stored it can be
// finished. clear_pairing removes it too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/state/heartbeat_keys.hpp"
#include "common/state/pair_certificate.hpp"
#include "common/state/state_files.hpp"

namespace lbha::state {

struct pending_pairing {
  std::string cluster_id;
  std::string peer_fingerprint;
  heartbeat_key key;
  pair_certificate certificate;

  bool operator==(const pending_pairing&) const = default;
};

std::string to_text(const pending_pairing& pending);
// errc::garbled naming the key; secrets never go into messages.
result<pending_pairing> parse_pending_pairing(std::string_view text);

// nullopt when the file does not exist; errc::insecure_mode when it is not 0600.
result<std::optional<pending_pairing>> read_pending_pairing(const state_files& files);
result<void> write_pending_pairing(const state_files& files, const pending_pairing& pending);
result<void> remove_pending_pairing(const state_files& files);

}  // namespace lbha::state
