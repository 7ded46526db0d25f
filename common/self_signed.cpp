#include "common/self_signed.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/openssl_ptr.hpp"

namespace lbha {

namespace {

error failed(std::string what) { return error(std::errc::io_error, std::move(what)); }

std::string drain(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, n > 0 ? static_cast<std::size_t>(n) : 0);
}

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

result<pem_identity> make_self_signed(const self_signed_request& request) {
  key_ptr key(EVP_EC_gen("P-256"));
  if (!key) return failed("cannot generate an EC P-256 key");
  x509_ptr cert(X509_new());
  if (!cert) return failed("cannot allocate a certificate");

  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return failed("no randomness for the serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
  BN_free(bn);

  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok && X509_set_version(cert.get(), 2) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(cert.get()), request.validity_seconds) != nullptr &&
       X509_NAME_add_entry_by_txt(
           name, "CN", MBSTRING_UTF8,
           reinterpret_cast<const unsigned char*>(request.common_name.c_str()), -1, -1, 0) == 1 &&
       X509_set_issuer_name(cert.get(), name) == 1 && X509_set_pubkey(cert.get(), key.get()) == 1;
  if (request.certificate_authority) {
    ok = ok && add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
         add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign");
  } else {
    ok = ok && add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") &&
         add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  }
  if (!request.extended_key_usage.empty())
    ok = ok && add_extension(cert.get(), NID_ext_key_usage, request.extended_key_usage);
  if (!request.alt_names.empty()) {
    std::string names;
    for (const auto& n : request.alt_names) names += (names.empty() ? "" : ",") + n;
    ok = ok && add_extension(cert.get(), NID_subject_alt_name, names);
  }
  ok = ok && add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
       X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return failed("cannot build the certificate for " + request.common_name);

  bio_ptr cert_out(BIO_new(BIO_s_mem()));
  bio_ptr key_out(BIO_new(BIO_s_mem()));
  if (!cert_out || !key_out || PEM_write_bio_X509(cert_out.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_out.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
          1)
    return failed("cannot encode the certificate for " + request.common_name);
  return pem_identity{drain(cert_out.get()), drain(key_out.get())};
}

}  // namespace lbha
