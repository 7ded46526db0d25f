// The state-dir files every daemon shares (common/state): one parser and one
// writer each, what they refuse, and files written by earlier versions.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/state/heartbeat_keys.hpp"
#include "common/state/pairing_file.hpp"
#include "common/state/term_file.hpp"

namespace lbha::state {
namespace {

const std::string hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string cluster = "00112233445566778899aabbccddeeff";

class state_files_test : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "lbha-state-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void put(const std::filesystem::path& path, const std::string& text, mode_t mode = 0644) {
    ASSERT_TRUE(write_file_atomically(path, text, mode));
  }

  std::filesystem::path dir_;
};

pairing_identity sample_identity() {
  pairing_identity id;
  id.cluster_id = cluster;
  id.role = node_role::secondary;
  id.local_node_id = secondary_node_id;
  id.local_node_name = "lb2";
  id.peer_node_id = primary_node_id;
  id.peer_node_name = "lb1";
  id.peer_addresses = {"192.0.2.1", "198.51.100.1"};
  id.paired_at = "2026-11-25T18:00:00Z";
  return id;
}

// --- pairing

TEST_F(state_files_test, pairing_round_trips_and_the_writer_emits_each_key_once) {
  state_files files(dir_ / "state");  // created by the writer
  auto missing = read_pairing(files);
  ASSERT_TRUE(missing) << missing.error();
  EXPECT_FALSE(missing.value());  // not paired

  ASSERT_TRUE(write_pairing(files, sample_identity()));
  auto read = read_pairing(files);
  ASSERT_TRUE(read) << read.error();
  ASSERT_TRUE(read.value());
  EXPECT_EQ(*read.value(), sample_identity());

  const auto text = to_yaml(sample_identity());
  std::size_t node_ids = 0;
  for (auto at = text.find("node_id:"); at != std::string::npos; at = text.find("node_id:", at + 1))
    ++node_ids;
  EXPECT_EQ(node_ids, 2u);  // local's and peer's, no top-level copy
}

TEST_F(state_files_test, pairing_written_by_earlier_versions_still_reads) {
  // replicatord wrote node_id twice so that heartbeatd's own reader found it at the top.
  state_files files(dir_);
  put(files.pairing(),
      "# Written by lbha-replicatord / lbha-receive-config. Do not edit: use lbctl pair/unpair.\n"
      "cluster_id: " +
          cluster +
          "\n"
          "role: secondary\n"
          "node_id: 2\n"
          "local:\n  node_id: 2\n  name: lb2\n"
          "peer:\n  node_id: 1\n  name: lb1\n  addresses: [192.0.2.1, 198.51.100.1]\n"
          "paired_at: 2026-11-25T18:00:00Z\n");
  auto read = read_pairing(files);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read.value(), sample_identity());
}

TEST_F(state_files_test, pairing_refuses_a_garbled_file_naming_it_and_the_key) {
  state_files files(dir_);
  const std::string good_tail = "local: {node_id: 2, name: lb2}\npeer: {node_id: 1, name: lb1}\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"cluster_id: [unterminated\n", ""},
      {"- a list\n", "expected a YAML map"},
      {"role: secondary\n" + good_tail, "cluster_id: missing"},
      {"cluster_id: abc\nrole: secondary\n" + good_tail, "cluster_id: expected 32 hex digits"},
      {"cluster_id: " + cluster + "\nrole: boss\n" + good_tail,
       "role: expected primary or secondary"},
      {"cluster_id: " + cluster +
           "\nrole: primary\nlocal: {node_id: 0, name: lb1}\n"
           "peer: {node_id: 2, name: lb2}\n",
       "local.node_id: expected 1..4294967295"},
      {"cluster_id: " + cluster +
           "\nrole: primary\nlocal: {node_id: x, name: lb1}\n"
           "peer: {node_id: 2, name: lb2}\n",
       "local.node_id: expected a node id"},
      {"cluster_id: " + cluster + "\nrole: primary\nlocal: {node_id: 1, name: lb1}\n",
       "peer.node_id: missing"},
      // heartbeatd's old reader took a file with only these two keys; nothing ever wrote one.
      {"cluster_id: " + cluster + "\nnode_id: 1\n", "role: missing"},
  };
  for (const auto& [text, why] : cases) {
    put(files.pairing(), text);
    auto read = read_pairing(files);
    ASSERT_FALSE(read) << text;
    EXPECT_EQ(read.error(), errc::garbled) << text;
    EXPECT_NE(read.error().message().find(files.pairing().string()), std::string::npos);
    EXPECT_NE(read.error().message().find(why), std::string::npos) << read.error().message();
  }
}

TEST_F(state_files_test, cluster_ids_are_32_hex_digits) {
  auto id = parse_cluster_id(cluster);
  ASSERT_TRUE(id);
  EXPECT_EQ((*id)[0], 0x00);
  EXPECT_EQ((*id)[15], 0xff);
  EXPECT_TRUE(parse_cluster_id("00112233445566778899AABBCCDDEEFF"));
  EXPECT_FALSE(parse_cluster_id(cluster.substr(2)));
  EXPECT_FALSE(parse_cluster_id(cluster + "00"));
  EXPECT_FALSE(parse_cluster_id("zz" + cluster.substr(2)));
}

TEST_F(state_files_test, peer_host_key_round_trips_and_clear_pairing_keeps_the_term) {
  state_files files(dir_);
  EXPECT_FALSE(read_peer_host_key(files).value());
  ASSERT_TRUE(write_peer_host_key(files, "SHA256:abc"));
  EXPECT_EQ(*read_peer_host_key(files).value(), "SHA256:abc");
  put(files.peer_host_key(), "MD5:zz\n");
  EXPECT_EQ(read_peer_host_key(files).error(), errc::garbled);

  ASSERT_TRUE(write_pairing(files, sample_identity()));
  ASSERT_TRUE(write_heartbeat_keys(files.heartbeat_key(), {{7, std::vector<std::uint8_t>(32, 1)}}));
  ASSERT_TRUE(write_term(files.term(), 5));
  ASSERT_TRUE(clear_pairing(files));
  EXPECT_FALSE(read_pairing(files).value());
  EXPECT_FALSE(read_heartbeat_keys(files.heartbeat_key()).value());
  EXPECT_FALSE(read_peer_host_key(files).value());
  EXPECT_EQ(read_term(files.term()).value(), 5u);
}

// --- heartbeat.key

TEST_F(state_files_test, heartbeat_keys_round_trip_with_mode_0600_first_key_first) {
  const auto path = dir_ / "heartbeat.key";
  EXPECT_FALSE(read_heartbeat_keys(path).value());  // missing: not paired
  const std::vector<heartbeat_key> keys = {{9, std::vector<std::uint8_t>(32, 0xab)},
                                           {4294967295u, std::vector<std::uint8_t>(40, 1)}};
  ASSERT_TRUE(write_heartbeat_keys(path, keys));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto read = read_heartbeat_keys(path);
  ASSERT_TRUE(read) << read.error();
  EXPECT_EQ(*read.value(), keys);
}

TEST_F(state_files_test, heartbeat_keys_written_by_earlier_versions_still_read) {
  // replicatord's single key, and a hand-rotated keyring with comments and blank lines.
  auto single = parse_heartbeat_keys(
      "# HMAC-SHA256 heartbeat key shared by the pair (written by lbctl pair). Secret: mode "
      "0600.\n3735928559 " +
      hex32 + "\n");
  ASSERT_TRUE(single) << single.error();
  ASSERT_EQ(single.value().size(), 1u);
  EXPECT_EQ(single.value()[0].id, 3735928559u);
  EXPECT_EQ(single.value()[0].secret[31], 0x1f);

  auto ring =
      parse_heartbeat_keys("# rotated 2026-11-25\n7 " + hex32 + "\n\n  # old\n9 " + hex32 + "FF\n");
  ASSERT_TRUE(ring) << ring.error();
  ASSERT_EQ(ring.value().size(), 2u);
  EXPECT_EQ(ring.value()[0].id, 7u);
  EXPECT_EQ(ring.value()[1].secret.size(), 33u);
}

TEST_F(state_files_test, heartbeat_keys_refuse_every_bad_line_naming_it_not_the_secret) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"7 abcdef\n", "line 1: secret shorter than 32 bytes"},
      {"7 " + hex32 + "\nx " + hex32 + "\n", "line 2: key id"},
      {"-1 " + hex32 + "\n", "line 1: key id"},
      {"4294967296 " + hex32 + "\n", "line 1: key id"},
      {"7 " + hex32 + "\n7 " + hex32 + "\n", "line 2: duplicate key id 7"},
      {"7 zz" + hex32.substr(2) + "\n", "line 1: secret is not"},
      {"7 " + hex32 + "0\n", "line 1: secret is not"},
      {"7\n", "line 1: expected"},
      {"7 " + hex32 + " extra\n", "line 1: expected"},
      {"# nothing\n", "no heartbeat key"},
      {"", "no heartbeat key"},
  };
  for (const auto& [text, why] : cases) {
    auto keys = parse_heartbeat_keys(text);
    ASSERT_FALSE(keys) << text;
    EXPECT_EQ(keys.error(), errc::garbled) << text;
    EXPECT_NE(keys.error().message().find(why), std::string::npos) << keys.error().message();
    EXPECT_EQ(keys.error().message().find(hex32.substr(0, 16)), std::string::npos);
  }
  const auto path = dir_ / "heartbeat.key";
  put(path, "7 abcd\n", 0600);
  auto read = read_heartbeat_keys(path);
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message().find(path.string() + ": line 1"), std::string::npos);
}

TEST_F(state_files_test, heartbeat_keys_readable_by_group_or_others_are_refused) {
  const auto path = dir_ / "heartbeat.key";
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    put(path, "1 " + hex32 + "\n", mode);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto read = read_heartbeat_keys(path);
    ASSERT_FALSE(read) << std::oct << mode;
    EXPECT_EQ(read.error(), errc::insecure_mode);
    EXPECT_NE(read.error().message().find("chmod 600"), std::string::npos);
  }
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  EXPECT_TRUE(read_heartbeat_keys(path));
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(read_heartbeat_keys(path));
}

// --- heartbeat.term

TEST_F(state_files_test, term_round_trips_and_is_zero_when_missing) {
  const auto path = dir_ / "heartbeat.term";
  EXPECT_EQ(read_term(path).value(), 0u);
  ASSERT_TRUE(write_term(path, 18446744073709551615u));
  EXPECT_EQ(read_term(path).value(), 18446744073709551615u);
  put(path, "42");  // no newline: still a term
  EXPECT_EQ(read_term(path).value(), 42u);
}

TEST_F(state_files_test, term_refuses_a_garbled_file) {
  const auto path = dir_ / "heartbeat.term";
  for (const std::string text : {"", "\n", "x\n", "-1\n", "12 13\n", "18446744073709551616\n"}) {
    put(path, text);
    auto term = read_term(path);
    ASSERT_FALSE(term) << text;
    EXPECT_EQ(term.error(), errc::garbled);
    EXPECT_NE(term.error().message().find(path.string()), std::string::npos);
  }
}

}  // namespace
}  // namespace lbha::state
