#include "replicator/pairing/pairing_state.hpp"

#include <set>
#include <sys/stat.h>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "test_support.hpp"

namespace lbha::pairing {
namespace {

pairing_identity sample_identity() {
  pairing_identity id;
  id.cluster_id = "00112233445566778899aabbccddeeff";
  id.role = node_role::secondary;
  id.local_node_id = secondary_node_id;
  id.local_node_name = "lb2";
  id.peer_node_id = primary_node_id;
  id.peer_node_name = "lb1";
  id.peer_addresses = {"192.0.2.1", "198.51.100.1"};
  id.paired_at = "2026-11-25T18:00:00Z";
  return id;
}

TEST(pairing_state, identity_round_trips_through_yaml) {
  auto id = sample_identity();
  auto parsed = parse_pairing_identity(to_yaml(id));
  ASSERT_TRUE(parsed) << parsed.error();
  EXPECT_EQ(parsed.value(), id);
}

TEST(pairing_state, identity_with_unknown_role_is_an_error) {
  auto text = to_yaml(sample_identity());
  text.replace(text.find("secondary"), 9, "tertiary");
  auto parsed = parse_pairing_identity(text);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().find("role"), std::string::npos);
}

TEST(pairing_state, heartbeat_keys_are_random_and_round_trip) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto key = generate_heartbeat_key();
    EXPECT_NE(key.key_id, 0u);
    auto parsed = parse_heartbeat_key(to_text(key));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed.value(), key);
    seen.insert(to_hex(key.key.data(), key.key.size()));
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(pairing_state, heartbeat_key_rejects_short_key_without_echoing_it) {
  auto parsed = parse_heartbeat_key("7 abcdef\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().find("abcdef"), std::string::npos);
}

// heartbeatd reads these two files with its own parsers (heartbeatd/keyring.hpp, pairing.hpp).
TEST(pairing_state, files_use_the_formats_heartbeatd_reads) {
  heartbeat_key key;
  key.key_id = 7;
  key.key.fill(0xab);
  auto text = to_text(key);
  std::string expected_line = "7 ";
  for (int i = 0; i < 32; ++i) expected_line += "ab";
  EXPECT_NE(text.find("\n" + expected_line + "\n"), std::string::npos) << text;
  auto yaml = YAML::Load(to_yaml(sample_identity()));
  EXPECT_EQ(yaml["cluster_id"].as<std::string>(), "00112233445566778899aabbccddeeff");
  EXPECT_EQ(yaml["node_id"].as<std::uint32_t>(), secondary_node_id);
  EXPECT_EQ(state_files("/s").pairing(), std::filesystem::path("/s/pairing"));
}

TEST(pairing_state, cluster_ids_are_32_hex_digits_and_differ) {
  auto a = generate_cluster_id();
  auto b = generate_cluster_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST(pairing_state, files_written_read_and_cleared) {
  testing::temp_dir dir;
  state_files files(dir.path() / "state");
  auto missing = read_pairing_identity(files);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing.value().has_value());

  auto key = generate_heartbeat_key();
  ASSERT_TRUE(write_pairing_identity(files, sample_identity()));
  ASSERT_TRUE(write_heartbeat_key(files, key));
  ASSERT_TRUE(write_pinned_host_key(files, "SHA256:abc"));

  struct stat st {};
  ASSERT_EQ(::stat(files.heartbeat_key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  EXPECT_EQ(*read_pairing_identity(files).value(), sample_identity());
  EXPECT_EQ(*read_heartbeat_key(files).value(), key);
  EXPECT_EQ(*read_pinned_host_key(files).value(), "SHA256:abc");

  ASSERT_TRUE(clear_pairing(files));
  EXPECT_FALSE(read_pairing_identity(files).value().has_value());
  EXPECT_FALSE(read_heartbeat_key(files).value().has_value());
  EXPECT_FALSE(read_pinned_host_key(files).value().has_value());
}

TEST(pairing_state, corrupt_pairing_file_is_an_error_naming_it) {
  testing::temp_dir dir;
  state_files files(dir.path());
  ASSERT_TRUE(write_file_atomically(files.pairing(), "cluster_id: [unterminated\n"));
  auto read = read_pairing_identity(files);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().find(files.pairing().string()), std::string::npos);
}

}  // namespace
}  // namespace lbha::pairing
