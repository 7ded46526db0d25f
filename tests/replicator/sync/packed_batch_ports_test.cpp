// Both ends of the packed StickBatch form (common/packed_batch.hpp): syncd's
// grpc_table_port and proxyd's stick table.
#include <gtest/gtest.h>

#include "proxy/stick_table.hpp"
#include "replicator/sync/grpc_table_port.hpp"

namespace lbha::sync {
namespace {

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
