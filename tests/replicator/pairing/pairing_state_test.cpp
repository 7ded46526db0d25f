// The key material pairing hands out; the files it goes into are tested in
// tests/common/state_files_test.cpp.
#include "replicator/pairing/pairing_state.hpp"

#include <gtest/gtest.h>

#include <set>

#include "common/atomic_file.hpp"
#include "common/state/pending_pairing.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

TEST(pairing_state, heartbeat_keys_are_random_and_round_trip_through_the_key_file) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    auto key = generate_heartbeat_key();
    EXPECT_NE(key.id, 0u);
    EXPECT_EQ(key.secret.size(), 32u);
    auto parsed = state::parse_heartbeat_keys(state::to_text({key}));
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed.value(), std::vector<state::heartbeat_key>{key});
    seen.insert(to_hex(key.secret.data(), key.secret.size()));
  }
  EXPECT_EQ(seen.size(), 20u);
}

TEST(pairing_state, cluster_ids_are_32_hex_digits_and_differ) {
  auto a = generate_cluster_id();
  auto b = generate_cluster_id();
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(state::parse_cluster_id(a));
  EXPECT_NE(a, b);
}

TEST(pairing_state, a_pending_pairing_round_trips_at_0600_and_is_refused_when_readable) {
  testing::temp_dir dir;
  state::state_files files(dir.path());
  state::pending_pairing pending;
  pending.cluster_id = generate_cluster_id();
  pending.peer_fingerprint = "SHA256:peerhostkeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  pending.key = generate_heartbeat_key();
  pending.certificate = state::make_pair_certificate(pending.cluster_id).value();
  EXPECT_FALSE(state::read_pending_pairing(files).value());
  ASSERT_TRUE(state::write_pending_pairing(files, pending));
  auto back = state::read_pending_pairing(files);
  ASSERT_TRUE(back) << back.error();
  EXPECT_EQ(*back.value(), pending);
  // Secrets stay out of error messages; a readable file is refused.
  const auto text = read_file(files.pending_pairing()).value();
  auto garbled = state::parse_pending_pairing(text.substr(0, text.find("heartbeat_key")));
  ASSERT_FALSE(garbled);
  EXPECT_NE(garbled.error().message().find("heartbeat_key"), std::string::npos);
  ASSERT_TRUE(write_file_atomically(files.pending_pairing(), text, 0644));
  EXPECT_FALSE(state::read_pending_pairing(files));
  ASSERT_TRUE(state::clear_pairing(files));
  EXPECT_FALSE(std::filesystem::exists(files.pending_pairing()));
}

}  // namespace
}  // namespace lbha::pairing
