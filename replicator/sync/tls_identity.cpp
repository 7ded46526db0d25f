#include "replicator/sync/tls_identity.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace lbha::sync {
namespace {

std::string der_of(X509* cert) {
  unsigned char* out = nullptr;
  const int n = i2d_X509(cert, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
  OPENSSL_free(out);
  return der;
}

}  // namespace

result<std::shared_ptr<tls_identity>> tls_identity::make(const state::pair_certificate& pair) {
  auto fingerprint = state::certificate_fingerprint(pair);
  if (!fingerprint) return fingerprint.error();
  std::shared_ptr<tls_identity> id(new tls_identity());
  id->fingerprint_ = fingerprint.value();
  auto& ctx = id->context_;
  boost::system::error_code ec;
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                      asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                      asio::ssl::context::no_tlsv1_1,
                  ec);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  const auto cert = asio::buffer(pair.certificate_pem);
  if (!ec) ctx.use_certificate_chain(cert, ec);
  if (!ec) ctx.use_private_key(asio::buffer(pair.private_key_pem), asio::ssl::context::pem, ec);
  if (!ec) ctx.add_certificate_authority(cert, ec);  // the only trust anchor
  if (!ec) {
    ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert, ec);
  }
  if (ec) return error(std::errc::invalid_argument, "pair.pem: " + ec.message());
  BIO* bio =
      BIO_new_mem_buf(pair.certificate_pem.data(), static_cast<int>(pair.certificate_pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (x == nullptr) return error(std::errc::invalid_argument, "pair.pem: no certificate");
  id->der_ = der_of(x);
  X509_free(x);
  return id;
}

bool tls_identity::presented_by(SSL* ssl) const {
  X509* peer = SSL_get_peer_certificate(ssl);
  if (peer == nullptr) return false;
  const bool same = der_of(peer) == der_;
  X509_free(peer);
  return same;
}

}  // namespace lbha::sync
