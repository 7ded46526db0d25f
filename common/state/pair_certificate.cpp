#include "common/state/pair_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

#include "common/openssl_ptr.hpp"
#include "common/self_signed.hpp"
#include "common/state/hex.hpp"

namespace lbha::state {

namespace {

// Twenty years: the certificate is a shared secret of the pair, replaced by
// pairing again, not by expiry (an expired one would stop table sync silently).
constexpr long validity_seconds = 20L * 365 * 24 * 3600;

error failed(std::string_view what) { return error(errc::garbled, std::string(what)); }

bio_ptr memory_of(std::string_view text) {
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

result<pair_certificate> make_pair_certificate(std::string_view cluster_id) {
  auto made = make_self_signed({.common_name = "lbha-pair-" + std::string(cluster_id),
                                .alt_names = {},
                                .certificate_authority = true,
                                .extended_key_usage = "serverAuth,clientAuth",
                                .validity_seconds = validity_seconds});
  if (!made) return failed(made.error().message());
  return pair_certificate{std::move(made.value().certificate_pem),
                          std::move(made.value().private_key_pem)};
}

result<pair_certificate> parse_pair_certificate(std::string_view text) {
  const auto cert_at = text.find("-----BEGIN CERTIFICATE-----");
  const auto cert_end_marker = std::string_view("-----END CERTIFICATE-----");
  const auto cert_end = text.find(cert_end_marker);
  if (cert_at == std::string_view::npos || cert_end == std::string_view::npos || cert_end < cert_at)
    return failed("no certificate (expected a PEM CERTIFICATE block then the PRIVATE KEY)");
  const auto key_at = text.find("-----BEGIN PRIVATE KEY-----");
  const auto key_end_marker = std::string_view("-----END PRIVATE KEY-----");
  const auto key_end = text.find(key_end_marker);
  if (key_at == std::string_view::npos || key_end == std::string_view::npos || key_end < key_at)
    return failed("no private key (expected a PEM PRIVATE KEY block after the certificate)");

  pair_certificate pair{
      std::string(text.substr(cert_at, cert_end + cert_end_marker.size() - cert_at)) + "\n",
      std::string(text.substr(key_at, key_end + key_end_marker.size() - key_at)) + "\n"};

  auto cert_in = memory_of(pair.certificate_pem);
  x509_ptr cert(PEM_read_bio_X509(cert_in.get(), nullptr, nullptr, nullptr));
  if (!cert) return failed("the certificate block does not decode");
  auto key_in = memory_of(pair.private_key_pem);
  key_ptr key(PEM_read_bio_PrivateKey(key_in.get(), nullptr, nullptr, nullptr));
  if (!key) return failed("the private key block does not decode");
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    return failed("the private key is not the certificate's");
  return pair;
}

std::string to_text(const pair_certificate& pair) {
  return pair.certificate_pem + pair.private_key_pem;
}

result<std::string> certificate_fingerprint(const pair_certificate& pair) {
  auto in = memory_of(pair.certificate_pem);
  x509_ptr cert(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  if (!cert) return failed("the certificate block does not decode");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1)
    return failed("cannot digest the certificate");
  return "SHA256:" + to_hex(std::span<const std::uint8_t>(digest, length));
}

result<std::optional<pair_certificate>> read_pair_certificate(const std::filesystem::path& path) {
  auto text = read_secret_if_exists(path);
  if (!text) return text.error();
  if (!text.value()) return std::optional<pair_certificate>{};
  auto pair = parse_pair_certificate(*text.value());
  if (!pair) return pair.error().prefixed(path.string());
  return std::optional<pair_certificate>(std::move(pair).value());
}

result<void> write_pair_certificate(const std::filesystem::path& path,
                                    const pair_certificate& pair) {
  return write_state_file(path, to_text(pair), 0600);
}

}  // namespace lbha::state
