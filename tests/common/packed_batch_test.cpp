// The packed StickBatch codec shared by syncd (encoder) and proxyd (decoder).
#include "common/packed_batch.hpp"

#include <gtest/gtest.h>

#include <random>

namespace lbha::sync {
namespace {

using packed::errc;


std::string raw(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

TEST(packed_batch, encodes_records_and_a_name_table_by_hand) {
  packed::encoder enc;
  ASSERT_TRUE(enc.add("web", raw({10, 0, 0, 1}), "rs1", 0x01020304));
  ASSERT_TRUE(enc.add("web", raw({10, 0, 0, 2}), "rs2", 5));
  EXPECT_EQ(enc.size(), 2u);
  v1::StickBatch batch;
  enc.take(batch);
  EXPECT_TRUE(enc.empty());
  ASSERT_EQ(batch.names_size(), 3);
  EXPECT_EQ(batch.names(0), "web");
  EXPECT_EQ(batch.names(1), "rs1");
  EXPECT_EQ(batch.names(2), "rs2");
  EXPECT_EQ(batch.packed(), raw({4, 0, 0, 1, 0, 4, 3, 2, 1, 10, 0, 0, 1,  //
                                 4, 0, 0, 2, 0, 5, 0, 0, 0, 10, 0, 0, 2}));
}

TEST(packed_batch, round_trips_ipv4_and_ipv6) {
  packed::encoder enc;
  std::string v6(16, '\0');
  for (int i = 0; i < 16; ++i) v6[i] = static_cast<char>(0xf0 + i);
  ASSERT_TRUE(enc.add("web", raw({192, 168, 1, 9}), "a", 1800000));
  ASSERT_TRUE(enc.add("web6", v6, "b", 4294967295u));
  ASSERT_FALSE(enc.add("web", "abc", "a", 1));  // neither 4 nor 16 bytes
  v1::StickBatch batch;
  enc.take(batch);
  std::vector<packed::record> out;
  ASSERT_FALSE(packed::decode(batch.packed(), batch.names_size(), out));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].key_size, 4);
  EXPECT_EQ(out[0].key[0], 192);
  EXPECT_EQ(out[0].key[3], 9);
  EXPECT_EQ(batch.names(out[0].table), "web");
  EXPECT_EQ(batch.names(out[0].server), "a");
  EXPECT_EQ(out[0].expires_in_ms, 1800000u);
  EXPECT_EQ(out[1].key_size, 16);
  EXPECT_EQ(out[1].key[15], 0xff);
  EXPECT_EQ(batch.names(out[1].table), "web6");
  EXPECT_EQ(batch.names(out[1].server), "b");
  EXPECT_EQ(out[1].expires_in_ms, 4294967295u);
}

TEST(packed_batch, refuses_every_truncation_whole) {
  packed::encoder enc;
  ASSERT_TRUE(enc.add("web", raw({1, 2, 3, 4}), "a", 7));
  ASSERT_TRUE(enc.add("web", std::string(16, 'x'), "b", 8));
  v1::StickBatch batch;
  enc.take(batch);
  const std::string& full = batch.packed();
  std::vector<packed::record> out;
  for (std::size_t n = 1; n < full.size(); ++n) {
    if (n == packed::header_size + 4) continue;  // exactly the first record
    const auto error = packed::decode(std::string_view(full).substr(0, n), 3, out);
    ASSERT_TRUE(error) << n;
    EXPECT_EQ(*error, errc::truncated) << n;
    EXPECT_TRUE(out.empty());
  }
  ASSERT_FALSE(packed::decode(std::string_view(full).substr(0, packed::header_size + 4), 3, out));
  EXPECT_EQ(out.size(), 1u);
  ASSERT_FALSE(packed::decode("", 0, out));
  EXPECT_TRUE(out.empty());
}

TEST(packed_batch, refuses_bad_key_lengths_and_name_indices) {
  std::vector<packed::record> out;
  EXPECT_EQ(packed::decode(raw({5, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5}), 1, out),
            errc::bad_key_length);
  EXPECT_EQ(packed::decode(raw({0, 0, 0, 0, 0, 1, 0, 0, 0}), 1, out), errc::bad_key_length);
  // A good record, then one whose server is past the two names: nothing decoded.
  EXPECT_EQ(packed::decode(raw({4, 0, 0, 1, 0, 1, 0, 0, 0, 1, 2, 3, 4,  //
                                4, 0, 0, 2, 0, 1, 0, 0, 0, 1, 2, 3, 4}),
                           2, out),
            errc::bad_name_index);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(packed::decode(raw({4, 1, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4}), 1, out),
            errc::bad_name_index);
  EXPECT_EQ(packed::decode("", packed::max_names + 1, out), errc::too_many_names);
  EXPECT_FALSE(packed::message(errc::truncated).empty());
}

TEST(packed_batch, random_input_never_crashes_and_errors_leave_nothing) {
  std::mt19937 rng(6);
  std::vector<packed::record> out;
  std::size_t accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    std::string s(rng() % 64, '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 3 == 0 ? (rng() % 2 ? 4 : 16) : rng() % 4);
    const auto error = packed::decode(s, rng() % 5, out);
    if (error) {
      EXPECT_TRUE(out.empty());
    } else {
      ++accepted;
      std::size_t bytes = 0;
      for (const auto& r : out) bytes += packed::header_size + r.key_size;
      EXPECT_EQ(bytes, s.size());
    }
  }
  EXPECT_GT(accepted, 0u);
}

}  // namespace
}  // namespace lbha::sync
