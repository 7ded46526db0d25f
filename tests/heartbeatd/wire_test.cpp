#include "heartbeatd/wire.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace lbha::heartbeat {
namespace {

std::vector<std::uint8_t> from_hex(const std::string& hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

key test_key() {
  key k{7, {}};
  for (int i = 0; i < 32; ++i) k.secret.push_back(static_cast<std::uint8_t>(i));
  return k;
}

const cluster_id test_cluster = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

message test_message() {
  message m;
  m.sender_role = role::active;
  m.priority = 150;
  m.health.ping_ok = true;
  m.health.proxy_ready = true;
  m.cluster = test_cluster;
  m.node_id = 1;
  m.key_id = 7;
  m.term = 5;
  m.sequence = 0x0102030405060708;
  m.generation = 42;
  m.timestamp_ms = 1'700'000'000'000;
  return m;
}

// The fixed wire vector (README.md, "Wire format"). The HMAC was computed
// independently: xxd -r -p | openssl dgst -sha256 -mac HMAC -macopt hexkey:0001..1f
const std::string header_hex =
    "4c424842"
    "01"
    "03"
    "96"
    "03"
    "00112233445566778899aabbccddeeff"
    "00000001"
    "00000007"
    "0000000000000005"
    "0102030405060708"
    "000000000000002a"
    "0000018bcfe56800";
const std::string hmac_hex = "8f3b4842f6e18abe6509c579703939c5c7720ba0c588ce98e69a6d3cea1e7ba4";

std::vector<std::uint8_t> vector_bytes() { return from_hex(header_hex + hmac_hex); }

keyring test_ring() { return keyring({test_key()}); }

std::error_code decode_error(const std::vector<std::uint8_t>& bytes) {
  auto r = decode(bytes, test_cluster, test_ring());
  EXPECT_FALSE(r.has_value());
  return r.has_value() ? std::error_code{} : r.error().code();
}

TEST(wire, encodes_the_fixed_vector) {
  auto p = encode(test_message(), test_key());
  EXPECT_EQ(std::vector<std::uint8_t>(p.begin(), p.end()), vector_bytes());
}

TEST(wire, decodes_the_fixed_vector) {
  auto r = decode(vector_bytes(), test_cluster, test_ring());
  ASSERT_TRUE(r.has_value()) << r.error().message();
  EXPECT_EQ(r.value(), test_message());
}

TEST(wire, round_trips_every_flag_and_role) {
  for (auto r : {role::init, role::passive, role::active, role::fault}) {
    for (int bits = 0; bits < 16; ++bits) {
      message m = test_message();
      m.sender_role = r;
      m.health = {bool(bits & 1), bool(bits & 2), bool(bits & 4), bool(bits & 8)};
      auto p = encode(m, test_key());
      auto d = decode(p, test_cluster, test_ring());
      ASSERT_TRUE(d.has_value());
      EXPECT_EQ(d.value(), m);
    }
  }
}

TEST(wire, rejects_truncated) {
  auto b = vector_bytes();
  b.pop_back();
  EXPECT_EQ(decode_error(b), errc::truncated);
  EXPECT_EQ(decode_error(from_hex("4c4248")), errc::truncated);
  EXPECT_EQ(decode_error({}), errc::truncated);
}

TEST(wire, rejects_oversized) {
  auto b = vector_bytes();
  b.push_back(0);
  EXPECT_EQ(decode_error(b), errc::oversized);
}

TEST(wire, rejects_bad_magic) {
  auto b = vector_bytes();
  b[0] = 'X';
  EXPECT_EQ(decode_error(b), errc::bad_magic);
}

TEST(wire, rejects_wrong_version_before_looking_at_size) {
  auto b = from_hex(
      "4c42484202"
      "0000");  // a version-2 packet of another size
  EXPECT_EQ(decode_error(b), errc::wrong_version);
  auto v = vector_bytes();
  v[4] = 0;
  EXPECT_EQ(decode_error(v), errc::wrong_version);
}

TEST(wire, rejects_wrong_cluster) {
  auto b = vector_bytes();
  b[8] ^= 1;
  EXPECT_EQ(decode_error(b), errc::wrong_cluster);
}

TEST(wire, rejects_unknown_key_id) {
  auto b = vector_bytes();
  b[31] = 8;  // key id 8
  EXPECT_EQ(decode_error(b), errc::unknown_key);
}

TEST(wire, rejects_bad_hmac_for_any_flipped_bit) {
  // A flipped bit anywhere the earlier checks do not catch: covered fields and the MAC itself.
  for (std::size_t i : {5u, 6u, 7u, 24u, 35u, 47u, 55u, 63u, 64u, 95u}) {
    auto b = vector_bytes();
    b[i] ^= 0x10;
    EXPECT_EQ(decode_error(b), errc::bad_hmac) << "byte " << i;
  }
}

TEST(wire, rejects_a_packet_signed_with_another_secret_under_the_same_id) {
  key other = test_key();
  other.secret[0] ^= 0xff;
  auto p = encode(test_message(), other);
  EXPECT_EQ(decode_error(std::vector<std::uint8_t>(p.begin(), p.end())), errc::bad_hmac);
}

TEST(wire, accepts_any_key_of_the_ring) {
  key second{9, std::vector<std::uint8_t>(32, 0xab)};
  keyring ring({test_key(), second});
  auto p = encode(test_message(), second);
  auto d = decode(p, test_cluster, ring);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d.value().key_id, 9u);
}

TEST(wire, rejects_authenticated_but_invalid_values) {
  message m = test_message();
  auto p = encode(m, test_key());
  p[5] = 9;  // no such role; re-sign so that only the value is wrong
  std::vector<std::uint8_t> b(p.begin(), p.end());
  // encode() cannot produce invalid values: sign the modified header by hand.
  auto resigned = [&](std::vector<std::uint8_t> bytes) {
    key k = test_key();
    std::array<std::uint8_t, 32> mac{};
    unsigned len = 0;
    HMAC(EVP_sha256(), k.secret.data(), 32, bytes.data(), authenticated_size, mac.data(), &len);
    std::copy(mac.begin(), mac.end(), bytes.begin() + authenticated_size);
    return bytes;
  };
  EXPECT_EQ(decode_error(resigned(b)), errc::malformed);
  auto f = std::vector<std::uint8_t>(p.begin(), p.end());
  f[5] = 3;
  f[7] = 0x80;  // unknown flag bit
  EXPECT_EQ(decode_error(resigned(f)), errc::malformed);
}

}  // namespace
}  // namespace lbha::heartbeat
