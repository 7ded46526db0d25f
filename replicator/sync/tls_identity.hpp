// The pair's TLS identity for the peers protocol, from pair.pem
// (common/state/pair_certificate.hpp), as HAProxy's
// `peer ... ssl crt pair.pem ca-file pair.pem verify required`.
//
// Both ends present the pair's one certificate and accept only a peer that
// presents that very certificate: it is the only trust anchor, verification
// is required both ways, TLS 1.2 at least (1.3 preferred by OpenSSL's
// negotiation). An asio ssl::context per identity; a reload with a new
// pair.pem builds a new one, and links keep the context they started with.
#pragma once

#include <memory>
#include <string>

#include "common/asio_ssl.hpp"
#include "common/result.hpp"
#include "common/state/pair_certificate.hpp"

namespace lbha::sync {

class tls_identity {
 public:
  static result<std::shared_ptr<tls_identity>> make(const state::pair_certificate& pair);

  asio::ssl::context& context() { return context_; }
  const std::string& fingerprint() const { return fingerprint_; }
  // After a handshake: the other end presented the pair's certificate itself.
  bool presented_by(SSL* ssl) const;

 private:
  tls_identity() : context_(asio::ssl::context::tls) {}

  asio::ssl::context context_;
  std::string fingerprint_;
  std::string der_;
};

}  // namespace lbha::sync
