// heartbeatd's in-memory keyring, built from the one heartbeat.key parser.
#include "heartbeatd/keyring.hpp"

#include <gtest/gtest.h>

namespace lbha::heartbeat {
namespace {

const std::string hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(keyring, signs_with_the_first_key_and_finds_every_key) {
  auto keys =
      state::parse_heartbeat_keys("# rotated 2026-11-25\n7 " + hex32 + "\n\n9 " + hex32 + "ff\n");
  ASSERT_TRUE(keys) << keys.error();
  keyring ring(std::move(keys).value());
  EXPECT_EQ(ring.signing_key().id, 7u);
  EXPECT_EQ(ring.signing_key().secret[31], 0x1f);
  ASSERT_NE(ring.find(9), nullptr);
  EXPECT_EQ(ring.find(9)->secret.size(), 33u);
  EXPECT_EQ(ring.find(8), nullptr);
  EXPECT_TRUE(keyring{}.empty());
}

}  // namespace
}  // namespace lbha::heartbeat
