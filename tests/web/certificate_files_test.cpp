// The first-start certificate: made when both files are absent (ECDSA P-256,
// CN and SAN, key 0600), an operator's pair used as it is, a half pair refused.
#include "web/certificate_files.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "common/atomic_file.hpp"
#include "tests/support/scratch_dir.hpp"
#include "web/errc.hpp"
#include "web/tls_context.hpp"

namespace lbha::web {
namespace {

using ::testing::HasSubstr;

const certificate_identity lb1{"lb1.example", {"192.0.2.11", "2001:db8::11", "not-an-ip"}};

std::string subject_and_names(const std::string& pem) {
  BIO* in = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  if (cert == nullptr) return "unreadable";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  std::string out = std::string("CN=") + cn;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      out += " DNS:" +
             std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)));
    } else if (name->type == GEN_IPADD) {
      out += " IP(" + std::to_string(ASN1_STRING_length(name->d.iPAddress)) + " bytes)";
    }
  }
  GENERAL_NAMES_free(names);
  EVP_PKEY* key = X509_get0_pubkey(cert);
  out += std::string(" ") + (key ? EVP_PKEY_get0_type_name(key) : "?") + "/" +
         std::to_string(key ? EVP_PKEY_get_bits(key) : 0);
  X509_free(cert);
  return out;
}

TEST(web_certificate, made_at_first_start_with_a_private_key_file) {
  test_support::scratch_dir dir("web-cert");
  const auto cert = dir / "web/cert.pem";
  const auto key = dir / "web/key.pem";
  auto made = ensure_certificate(cert, key, lb1);
  ASSERT_TRUE(made) << made.error().message();
  EXPECT_TRUE(made.value());
  struct stat st {};
  ASSERT_EQ(::stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(subject_and_names(read_file(cert).value()),
            "CN=lb1.example DNS:lb1.example IP(4 bytes) IP(16 bytes) EC/256");
  EXPECT_TRUE(make_server_tls(cert, key));
}

TEST(web_certificate, an_operators_pair_is_used_as_it_is) {
  test_support::scratch_dir dir("web-cert");
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  ASSERT_TRUE(ensure_certificate(cert, key, lb1));
  const auto before = read_file(cert).value();
  auto again = ensure_certificate(cert, key, {"other", {}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again.value());
  EXPECT_EQ(read_file(cert).value(), before);
}

TEST(web_certificate, a_half_pair_is_refused_and_left_alone) {
  test_support::scratch_dir dir("web-cert");
  const auto cert = dir / "cert.pem";
  const auto key = dir / "key.pem";
  ASSERT_TRUE(write_file_atomically(cert, "operator's chain\n"));
  auto r = ensure_certificate(cert, key, lb1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::certificate);
  EXPECT_THAT(r.error().message(), HasSubstr("key.pem is missing but"));
  EXPECT_FALSE(std::filesystem::exists(key));
  EXPECT_EQ(read_file(cert).value(), "operator's chain\n");
}

TEST(web_certificate, tls_refuses_garbage_and_a_key_of_another_certificate) {
  test_support::scratch_dir dir("web-cert");
  ASSERT_TRUE(ensure_certificate(dir / "a.pem", dir / "a.key", lb1));
  ASSERT_TRUE(ensure_certificate(dir / "b.pem", dir / "b.key", lb1));
  auto mixed = make_server_tls(dir / "a.pem", dir / "b.key");
  ASSERT_FALSE(mixed);
  EXPECT_THAT(mixed.error().message(), HasSubstr("not the key of"));
  ASSERT_TRUE(write_file_atomically(dir / "junk.pem", "junk\n"));
  auto junk = make_server_tls(dir / "junk.pem", dir / "a.key");
  ASSERT_FALSE(junk);
  EXPECT_THAT(junk.error().message(), HasSubstr("junk.pem: not a PEM certificate chain"));
}

}  // namespace
}  // namespace lbha::web
