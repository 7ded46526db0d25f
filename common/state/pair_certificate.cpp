#include "common/state/pair_certificate.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/state/hex.hpp"

namespace lbha::state {

namespace {

template <auto Free>
struct openssl_deleter {
  template <typename T>
  void operator()(T* p) const { Free(p); }
};
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;

// Twenty years: the certificate is a shared secret of the pair, replaced by
// pairing again, not by expiry (an expired one would stop table sync silently).
constexpr long validity_seconds = 20L * 365 * 24 * 3600;

error failed(std::string_view what) { return error(errc::garbled, std::string(what)); }

std::string drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bio_ptr memory_of(std::string_view text) {
  return bio_ptr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

}  // namespace

result<pair_certificate> make_pair_certificate(std::string_view cluster_id) {
  key_ptr key(EVP_EC_gen("P-256"));
  if (!key) return failed("cannot generate the pair's EC key");
  x509_ptr cert(X509_new());
  if (!cert) return failed("cannot allocate a certificate");

  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return failed("no randomness for the serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);

  const std::string common_name = "lbha-pair-" + std::string(cluster_id);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok && X509_set_version(cert.get(), 2) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(cert.get()), validity_seconds) != nullptr &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                  -1, -1, 0) == 1 &&
       X509_set_issuer_name(cert.get(), name) == 1 &&
       X509_set_pubkey(cert.get(), key.get()) == 1 &&
       add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
       add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") &&
       add_extension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") &&
       add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
       X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return failed("cannot build the pair's certificate");

  bio_ptr cert_out(BIO_new(BIO_s_mem()));
  bio_ptr key_out(BIO_new(BIO_s_mem()));
  if (!cert_out || !key_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1)
    return failed("cannot encode the pair's certificate");
  return pair_certificate{drain(cert_out.get()), drain(key_out.get())};
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
