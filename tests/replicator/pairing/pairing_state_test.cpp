// The key material pairing hands out; the files it goes into are tested in
// tests/common/state_files_test.cpp.
#include "replicator/pairing/pairing_state.hpp"

#include <gtest/gtest.h>

#include <set>

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

}  // namespace
}  // namespace lbha::pairing
