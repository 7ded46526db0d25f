#include "web/tls_context.hpp"

#include <openssl/ssl.h>

#include "web/errc.hpp"

namespace lbha::web {

result<std::shared_ptr<asio::ssl::context>> make_server_tls(
    const std::filesystem::path& certificate, const std::filesystem::path& key) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = tls->native_handle();
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1)
    return error(errc::certificate, "cannot configure TLS");
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  boost::system::error_code ec;
  tls->use_certificate_chain_file(certificate.string(), ec);
  if (ec) return error(errc::certificate, certificate.string() + ": not a PEM certificate chain");
  tls->use_private_key_file(key.string(), asio::ssl::context::pem, ec);
  // OpenSSL refuses a key that does not match the certificate here already.
  if (ec)
    return error(errc::certificate, key.string() + ": not a PEM private key, or not the key of " +
                                        certificate.string());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return error(errc::certificate, key.string() + " is not the key of " + certificate.string());
  return tls;
}

}  // namespace lbha::web
