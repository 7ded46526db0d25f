#include "heartbeatd/keyring.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace lbha::heartbeat {
namespace {

const std::string hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

TEST(keyring, parses_keys_and_signs_with_the_first) {
  std::string error;
  auto ring = parse_keyring("# rotated 2026-11-25\n7 " + hex32 + "\n\n9 " + hex32 + "ff\n", error);
  ASSERT_TRUE(ring.has_value()) << error;
  EXPECT_EQ(ring.value().signing_key().id, 7u);
  ASSERT_NE(ring.value().find(9), nullptr);
  EXPECT_EQ(ring.value().find(9)->secret.size(), 33u);
  EXPECT_EQ(ring.value().find(8), nullptr);
  EXPECT_EQ(ring.value().signing_key().secret[31], 0x1f);
}

TEST(keyring, rejects_bad_lines_naming_them) {
  std::string error;
  EXPECT_FALSE(parse_keyring("7 abcd\n", error));
  EXPECT_NE(error.find("line 1"), std::string::npos);
  EXPECT_FALSE(parse_keyring("7 " + hex32 + "\nx " + hex32 + "\n", error));
  EXPECT_NE(error.find("line 2"), std::string::npos);
  EXPECT_FALSE(parse_keyring("7 " + hex32 + "\n7 " + hex32 + "\n", error));
  EXPECT_NE(error.find("duplicate"), std::string::npos);
  EXPECT_FALSE(parse_keyring("7 zz" + hex32.substr(2) + "\n", error));
  EXPECT_FALSE(parse_keyring("# nothing\n", error));
}

TEST(keyring, refuses_a_key_file_readable_by_others) {
  auto path = std::filesystem::temp_directory_path() / ("lbha-key-" + std::to_string(::getpid()));
  std::ofstream(path) << "1 " << hex32 << "\n";
  ::chmod(path.c_str(), 0644);
  std::string error;
  EXPECT_FALSE(load_keyring(path, error));
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(load_keyring(path, error)) << error;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace lbha::heartbeat
