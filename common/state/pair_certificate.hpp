// <state>/pair.pem: the TLS identity the pair shares for its peers-protocol
// sessions (syncd on TCP 7778), like HAProxy's `peer ... ssl crt`.
//
// Made once at pairing on the primary and shipped to the secondary with the
// heartbeat key: one self-signed certificate (EC P-256, CA:TRUE so it is
// also the trust anchor) and its private key, the same on both nodes. A
// session is accepted only when the other end presents this very certificate
// and proves it holds the key (mutual TLS, `verify required` against this
// certificate as the only CA): someone who can send from the peer's address
// but has not been paired has neither. The file holds the certificate PEM
// then the key PEM and is mode 0600: one readable by group or others is
// refused, as heartbeat.key is.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/state/state_files.hpp"

namespace lbha::state {

struct pair_certificate {
  std::string certificate_pem;
  std::string private_key_pem;

  bool operator==(const pair_certificate&) const = default;
};

// A new certificate and key; the subject's CN is "lbha-pair-<cluster_id>".
result<pair_certificate> make_pair_certificate(std::string_view cluster_id);

// Both PEM blocks present, parseable, and the key is the certificate's.
// errc::garbled naming what is wrong; key material never goes into messages.
result<pair_certificate> parse_pair_certificate(std::string_view text);
std::string to_text(const pair_certificate& pair);

// "SHA256:<64 hex>" of the certificate's DER encoding: what an operator
// compares on both nodes.
result<std::string> certificate_fingerprint(const pair_certificate& pair);

// nullopt when the file does not exist; errc::insecure_mode when it is not 0600.
result<std::optional<pair_certificate>> read_pair_certificate(const std::filesystem::path& path);
result<void> write_pair_certificate(const std::filesystem::path& path,
                                    const pair_certificate& pair);  // mode 0600

}  // namespace lbha::state
