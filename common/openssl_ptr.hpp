// OpenSSL objects owned by std::unique_ptr, freed by their own free function:
// what every file of lbha that makes keys and certificates holds them in.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>

namespace lbha {

template <auto Free>
struct openssl_deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO_free_all>>;
using key_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY_free>>;
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509_free>>;

}  // namespace lbha
