// self_signed: a new EC P-256 key and a certificate signed by it, as PEM.
//
// One maker for lbha's two self-signed identities: the pair's peers-protocol
// certificate (common/state/pair_certificate.hpp, its own trust anchor) and
// the WebUI's first-start certificate (web/certificate_files.hpp), which a
// browser is asked to accept once and an operator may replace.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace lbha {

struct self_signed_request {
  std::string common_name;
  // subjectAltName entries in OpenSSL's spelling: "DNS:lb1", "IP:192.0.2.11".
  std::vector<std::string> alt_names;
  bool certificate_authority = false;  // CA:TRUE and keyCertSign (a trust anchor)
  std::string extended_key_usage;      // "serverAuth" or "serverAuth,clientAuth"
  long validity_seconds = 0;
};

struct pem_identity {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8, unencrypted
};

// std::errc::io_error naming the step that failed; no key material in messages.
result<pem_identity> make_self_signed(const self_signed_request& request);

}  // namespace lbha
