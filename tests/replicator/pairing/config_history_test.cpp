#include "replicator/pairing/config_history.hpp"

#include <gtest/gtest.h>

#include "common/atomic_file.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

lbha::v1::ClusterConfig generation(std::uint64_t n, const std::string& label = "web") {
  auto config = testing::one_service_config(label);
  config.set_generation(n);
  config.set_term(1);
  return config;
}

TEST(config_history, records_and_reads_back_generation_term_origin_and_config) {
  testing::temp_dir dir;
  config_history history(config_history::dir_in(dir.path()));
  auto recorded =
      history.record(generation(3, "api"), "rollback", "+ api; - web", "2026-12-07T01:00:00Z");
  ASSERT_TRUE(recorded) << recorded.error();
  EXPECT_EQ(recorded.value().file, dir.path() / "history" / "00000000000000000003.yaml");
  auto listing = history.list();
  ASSERT_TRUE(listing.problems.empty()) << listing.problems[0];
  ASSERT_EQ(listing.entries.size(), 1u);
  const auto& entry = listing.entries[0];
  EXPECT_EQ(entry.generation, 3u);
  EXPECT_EQ(entry.term, 1u);
  EXPECT_EQ(entry.origin, "rollback");
  EXPECT_EQ(entry.at, "2026-12-07T01:00:00Z");
  EXPECT_EQ(entry.summary, "+ api; - web");
  auto loaded = history.load(3);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded.value().virtual_services(0).label(), "api");
  EXPECT_EQ(loaded.value().generation(), 3u);
  // Written with the atomic writer: no temp file left beside it, and private.
  int files = 0;
  for (const auto& item : std::filesystem::directory_iterator(history.dir())) {
    ++files;
    EXPECT_FALSE(is_atomic_temp_name(item.path().filename().string())) << item.path();
    EXPECT_EQ(std::filesystem::status(item.path()).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  EXPECT_EQ(files, 1);
}

TEST(config_history, keeps_only_the_newest_generations) {
  testing::temp_dir dir;
  config_history history(dir.path() / "history", 50);
  for (std::uint64_t n = 1; n <= 53; ++n) {
    ASSERT_TRUE(history.record(generation(n), "commit", "", "t"));
  }
  auto listing = history.list();
  ASSERT_EQ(listing.entries.size(), 50u);
  EXPECT_EQ(listing.entries.front().generation, 4u);
  EXPECT_EQ(listing.entries.back().generation, 53u);
  auto gone = history.load(3);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), errc::refused);
  EXPECT_NE(gone.error().message().find("kept: 4..53"), std::string::npos) << gone.error();
}

TEST(config_history, a_generation_recorded_again_replaces_the_earlier_entry) {
  testing::temp_dir dir;
  config_history history(dir.path() / "history");
  ASSERT_TRUE(history.record(generation(7, "stale"), "commit", "", "t1"));
  auto newer = generation(7, "taken_over");
  newer.set_term(2);
  ASSERT_TRUE(history.record(newer, "pushed_by_lb2", "", "t2"));
  auto listing = history.list();
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].term, 2u);
  EXPECT_EQ(history.load(7).value().virtual_services(0).label(), "taken_over");
}

TEST(config_history, a_corrupt_entry_is_skipped_and_reported_not_fatal) {
  testing::temp_dir dir;
  config_history history(dir.path() / "history");
  ASSERT_TRUE(history.record(generation(1), "commit", "", "t"));
  ASSERT_TRUE(history.record(generation(2), "commit", "", "t"));
  ASSERT_TRUE(history.record(generation(3), "commit", "", "t"));
  // Generation 2: a torn file with a broken config; generation 3: no header at all.
  ASSERT_TRUE(write_file_atomically(history.dir() / "00000000000000000002.yaml",
                                    "# lbha-history origin=commit at=t summary=\n"
                                    "generation: 2\nterm: soon\n",
                                    0600));
  ASSERT_TRUE(write_file_atomically(history.dir() / "00000000000000000003.yaml",
                                    "generation: 3\nterm: 1\n", 0600));
  // Not an entry at all: ignored, not reported.
  ASSERT_TRUE(write_file_atomically(history.dir() / "notes.txt", "hello", 0600));
  auto listing = history.list();
  ASSERT_EQ(listing.entries.size(), 1u);
  EXPECT_EQ(listing.entries[0].generation, 1u);
  ASSERT_EQ(listing.problems.size(), 2u);
  EXPECT_NE(listing.problems[0].find("generation 2 skipped"), std::string::npos)
      << listing.problems[0];
  EXPECT_NE(listing.problems[0].find("00000000000000000002.yaml:3: term"), std::string::npos)
      << listing.problems[0];
  EXPECT_NE(listing.problems[1].find("no '# lbha-history' header"), std::string::npos)
      << listing.problems[1];
  auto broken = history.load(2);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error(), errc::invalid_config);
  // Recording goes on past the corrupt ones.
  EXPECT_TRUE(history.record(generation(4), "commit", "", "t"));
  EXPECT_EQ(history.list().entries.size(), 2u);
}

TEST(config_history, an_entry_whose_name_and_content_disagree_is_refused) {
  testing::temp_dir dir;
  config_history history(dir.path() / "history");
  ASSERT_TRUE(history.record(generation(5), "commit", "", "t"));
  std::filesystem::rename(history.dir() / "00000000000000000005.yaml",
                          history.dir() / "00000000000000000006.yaml");
  auto listing = history.list();
  EXPECT_TRUE(listing.entries.empty());
  ASSERT_EQ(listing.problems.size(), 1u);
  EXPECT_NE(listing.problems[0].find("holds generation 5"), std::string::npos);
}

TEST(config_history, summary_names_services_added_removed_and_changed) {
  auto before = testing::one_service_config("web");
  auto* second = before.add_virtual_services();
  *second = before.virtual_services(0);
  second->set_label("api");
  auto after = before;
  after.mutable_virtual_services()->DeleteSubrange(0, 1);   // web removed
  after.mutable_virtual_services(0)->set_ip("192.0.2.77");  // api changed
  auto* added = after.add_virtual_services();
  *added = before.virtual_services(0);
  added->set_label("new");
  EXPECT_EQ(summarize_change(before, after), "+ new; - web; 1 service changed");
  EXPECT_EQ(summarize_change(before, before), "no service changes");
}

}  // namespace
}  // namespace lbha::pairing
