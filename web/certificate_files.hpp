// The WebUI's certificate and key files (node.yaml web.certificate, web.key).
//
// At the first start neither exists: a self-signed certificate is made
// (common/self_signed.hpp: ECDSA P-256, CN = the hostname, subjectAltName =
// the hostname and the node's addresses) so the WebUI answers at once, with
// the browser warning the seed's guide describes (6.3). The key is written
// 0600 before the certificate, each atomically, so a crash leaves either
// nothing (made again next start) or a key without its certificate, which is
// refused like any half pair: an operator's files are never overwritten, and
// a half pair is most likely an operator's copy in progress.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace lbha::web {

struct certificate_identity {
  std::string hostname;                // CN and a DNS name
  std::vector<std::string> addresses;  // IP names (node.yaml local_addresses)
};

// True when it made the pair, false when both files were there (used as
// they are). errc::certificate when only one exists or writing failed.
result<bool> ensure_certificate(const std::filesystem::path& certificate,
                                const std::filesystem::path& key,
                                const certificate_identity& identity);

// This machine's hostname (gethostname), "localhost" when it has none.
std::string local_hostname();

}  // namespace lbha::web
