// The packed StickBatch codec shared by syncd (encoder) and proxyd (decoder).
#include "replicator/sync/packed_batch.hpp"

#include <gtest/gtest.h>

#include <random>

#include "proxy/stick_table.hpp"
#include "replicator/sync/grpc_table_port.hpp"

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

TEST(packed_batch, grpc_table_port_sends_packed_and_reads_both_forms) {
  std::vector<table_change> changes = {
      {"web", {10, 0, 0, 1}, "rs1", 1000},
      {"web", bytes(16, 7), "rs2", 2000},
      {"web", {1, 2, 3}, "rs1", 3000},  // not an address: carried unpacked
  };
  const auto batch = grpc_table_port::to_batch(changes);
  EXPECT_EQ(batch.entries_size(), 1);
  EXPECT_FALSE(batch.packed().empty());
  auto back = grpc_table_port::from_batch(batch);
  ASSERT_EQ(back.size(), 3u);
  // The unpacked form first, then the packed.
  EXPECT_EQ(back[0].key, (bytes{1, 2, 3}));
  EXPECT_EQ(back[1].table, "web");
  EXPECT_EQ(back[1].key, (bytes{10, 0, 0, 1}));
  EXPECT_EQ(back[1].server, "rs1");
  EXPECT_EQ(back[1].expires_in_ms, 1000u);
  EXPECT_EQ(back[2].key, bytes(16, 7));
  EXPECT_EQ(back[2].server, "rs2");

  auto broken = batch;
  broken.mutable_packed()->pop_back();
  EXPECT_EQ(grpc_table_port::from_batch(broken).size(), 1u);  // the packed part refused
}

}  // namespace
}  // namespace lbha::sync

namespace lbha::proxy {
namespace {

client_key v4(std::uint8_t a, std::uint8_t b) {
  client_key k;
  k.size = 4;
  k.bytes = {10, 0, a, b};
  return k;
}

// What proxyd does with a decoded packed batch: one call per batch.
TEST(packed_batch, proxyd_table_applies_a_batch_across_shards) {
  manual_clock clock;
  stick_table table(clock, 100000, 16);
  auto remote = table.subscribe(1'000'000, true);
  auto local = table.subscribe(1'000'000, false);
  const std::vector<std::string_view> labels = {"web", "rs1", "rs2", ""};
  std::vector<stick_table::remote_entry> batch;
  for (int i = 0; i < 5000; ++i) {
    batch.push_back({v4(static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)), 0,
                     static_cast<std::uint16_t>(1 + i % 2), 60000});
  }
  batch.push_back({v4(200, 1), 0, 3, 60000});  // empty server label: skipped
  batch.push_back({v4(200, 2), 0, 9, 60000});  // index past the labels: skipped
  table.apply_remote(labels, batch);
  EXPECT_EQ(table.size(), 5000u);
  EXPECT_EQ(table.lookup("web", v4(0, 7), std::chrono::minutes(1)), "rs2");
  EXPECT_EQ(table.lookup("web", v4(19, 135), std::chrono::minutes(1)), "rs2");  // entry 4999
  EXPECT_FALSE(table.lookup("web", v4(200, 1), std::chrono::minutes(1)));
  EXPECT_EQ(remote->take(10000, std::chrono::milliseconds(0)).size(), 5000u);
  EXPECT_TRUE(local->take(10, std::chrono::milliseconds(0)).empty());  // remote: not published

  // A later batch replaces servers and removes entries whose lifetime is 0.
  table.apply_remote(
      labels, std::vector<stick_table::remote_entry>{{v4(0, 7), 0, 1, 1000}, {v4(0, 8), 0, 1, 0}});
  EXPECT_EQ(table.size(), 4999u);
  EXPECT_EQ(table.lookup("web", v4(0, 7), std::chrono::seconds(1)), "rs1");
  EXPECT_FALSE(table.lookup("web", v4(0, 8), std::chrono::seconds(1)));
  clock.advance(std::chrono::seconds(2));
  EXPECT_FALSE(table.lookup("web", v4(0, 7), std::chrono::seconds(1)));
}

}  // namespace
}  // namespace lbha::proxy
