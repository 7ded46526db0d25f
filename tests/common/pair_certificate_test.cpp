// <state>/pair.pem (common/state/pair_certificate): what pairing makes, what
// a reader accepts, and what it refuses.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/state/pair_certificate.hpp"
#include "common/state/pairing_file.hpp"

namespace lbha::state {
namespace {

const std::string cluster = "00112233445566778899aabbccddeeff";

class pair_certificate_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbha-pem-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(pair_certificate_test, a_made_certificate_round_trips_through_its_file_at_mode_0600) {
  auto made = make_pair_certificate(cluster);
  ASSERT_TRUE(made) << made.error();
  const state_files files(dir_);
  ASSERT_TRUE(write_pair_certificate(files.pair_certificate(), made.value()));

  struct stat st {};
  ASSERT_EQ(::stat(files.pair_certificate().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = read_pair_certificate(files.pair_certificate());
  ASSERT_TRUE(read) << read.error();
  ASSERT_TRUE(read.value().has_value());
  EXPECT_EQ(*read.value(), made.value());
  EXPECT_NE(made.value().certificate_pem.find("BEGIN CERTIFICATE"), std::string::npos);
}

TEST_F(pair_certificate_test, each_pairing_makes_a_different_certificate_with_a_stable_fingerprint) {
  auto first = make_pair_certificate(cluster);
  auto second = make_pair_certificate(cluster);
  ASSERT_TRUE(first && second);
  auto fp1 = certificate_fingerprint(first.value());
  ASSERT_TRUE(fp1) << fp1.error();
  EXPECT_EQ(fp1.value().rfind("SHA256:", 0), 0u);
  EXPECT_EQ(fp1.value().size(), 7u + 64u);
  EXPECT_EQ(certificate_fingerprint(first.value()).value(), fp1.value());
  EXPECT_NE(certificate_fingerprint(second.value()).value(), fp1.value());
}

TEST_F(pair_certificate_test, a_key_that_is_not_the_certificates_is_refused) {
  auto first = make_pair_certificate(cluster);
  auto second = make_pair_certificate(cluster);
  ASSERT_TRUE(first && second);
  const std::string mixed = first.value().certificate_pem + second.value().private_key_pem;
  auto parsed = parse_pair_certificate(mixed);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error(), errc::garbled);
  EXPECT_NE(parsed.error().message().find("not the certificate's"), std::string::npos);
  // The message never carries key material.
  EXPECT_EQ(parsed.error().message().find("PRIVATE"), std::string::npos);
}

TEST_F(pair_certificate_test, missing_blocks_and_garbage_are_refused_naming_what_is_missing) {
  auto made = make_pair_certificate(cluster);
  ASSERT_TRUE(made);
  auto no_key = parse_pair_certificate(made.value().certificate_pem);
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error().message().find("no private key"), std::string::npos);
  auto no_cert = parse_pair_certificate(made.value().private_key_pem);
  ASSERT_FALSE(no_cert);
  EXPECT_NE(no_cert.error().message().find("no certificate"), std::string::npos);
  auto garbage = parse_pair_certificate(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" +
      made.value().private_key_pem);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message().find("does not decode"), std::string::npos);
}

TEST_F(pair_certificate_test, a_file_readable_by_others_is_refused_and_a_missing_one_is_unpaired) {
  const state_files files(dir_);
  auto missing = read_pair_certificate(files.pair_certificate());
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing.value().has_value());

  auto made = make_pair_certificate(cluster);
  ASSERT_TRUE(made);
  ASSERT_TRUE(write_file_atomically(files.pair_certificate(), to_text(made.value()), 0640));
  auto refused = read_pair_certificate(files.pair_certificate());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::insecure_mode);
  EXPECT_NE(refused.error().message().find("chmod 600"), std::string::npos);
}

TEST_F(pair_certificate_test, clear_pairing_removes_the_certificate) {
  const state_files files(dir_);
  auto made = make_pair_certificate(cluster);
  ASSERT_TRUE(made);
  ASSERT_TRUE(write_pair_certificate(files.pair_certificate(), made.value()));
  ASSERT_TRUE(clear_pairing(files));
  EXPECT_FALSE(std::filesystem::exists(files.pair_certificate()));
}

}  // namespace
}  // namespace lbha::state
