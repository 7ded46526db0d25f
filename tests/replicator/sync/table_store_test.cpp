// sync_table: the store and update log behind resync, push and resume.
#include <gtest/gtest.h>

#include <vector>

#include "replicator/sync/table_store.hpp"

namespace lbha::sync {
namespace {

using namespace std::chrono_literals;

std::string ipv4(std::uint32_t n) {
  return {static_cast<char>(10), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
          static_cast<char>(n)};
}

std::vector<std::uint32_t> ids_after(const sync_table& t, std::uint32_t after) {
  std::vector<std::uint32_t> out;
  t.for_each_after(after, [&](std::string_view, const stored_entry& e) { out.push_back(e.update_id); });
  return out;
}

TEST(sync_table, log_lists_each_key_once_at_its_latest_id) {
  sync_table t({.name = "web", .servers = {"rs1", "rs2"}});
  const clock::time_point now{1h};
  EXPECT_EQ(t.put(ipv4(1), "rs1", now + 10s, false), 1u);
  EXPECT_EQ(t.put(ipv4(2), "rs2", now + 10s, true), 2u);
  EXPECT_EQ(t.put(ipv4(1), "rs2", now + 20s, false), 3u);
  EXPECT_EQ(t.size(), 2u);
  EXPECT_EQ(ids_after(t, 0), (std::vector<std::uint32_t>{2, 3}));
  EXPECT_EQ(ids_after(t, 2), (std::vector<std::uint32_t>{3}));
  EXPECT_TRUE(ids_after(t, 3).empty());
  const auto* e = t.find(ipv4(1));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(t.server_name(*e), "rs2");
  EXPECT_EQ(e->update_id, 3u);
  EXPECT_FALSE(e->remote);
  EXPECT_TRUE(t.find(ipv4(2))->remote);
  EXPECT_EQ(t.find(ipv4(3)), nullptr);
  EXPECT_EQ(t.put(std::string(17, 'x'), "rs1", now, false), 0u) << "longer than any address";
}

TEST(sync_table, purge_in_steps_and_compaction_keep_the_log_right) {
  sync_table t({.name = "web", .servers = {"rs1"}});
  const clock::time_point now{1h};
  for (std::uint32_t i = 0; i < 5000; ++i) t.put(ipv4(i), "rs1", now + (i % 2 ? 10s : 100s), false);
  // Rewrite most keys: their old slots die and are compacted away.
  for (std::uint32_t i = 0; i < 4000; ++i) t.put(ipv4(i), "rs1", now + (i % 2 ? 10s : 100s), false);
  EXPECT_EQ(t.size(), 5000u);
  EXPECT_EQ(ids_after(t, 0).size(), 5000u);
  std::size_t removed = 0;
  for (int step = 0; step < 10; ++step) removed += t.purge_step(now + 50s, 1000);
  EXPECT_EQ(removed, 2500u) << "the odd keys expired";
  EXPECT_EQ(t.size(), 2500u);
  const auto ids = ids_after(t, 0);
  EXPECT_EQ(ids.size(), 2500u);
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (std::uint32_t i = 0; i < 5000; ++i) EXPECT_EQ(t.find(ipv4(i)) != nullptr, i % 2 == 0) << i;
  EXPECT_EQ(t.purge(now + 200s), 2500u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(ids_after(t, 0).empty());
  EXPECT_EQ(t.last_update_id(), 9000u);
}

}  // namespace
}  // namespace lbha::sync
