#include "replicator/pairing/config_commit.hpp"

#include <gtest/gtest.h>

#include "common/atomic_file.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

TEST(config_commit, commit_takes_next_generation_and_highest_term) {
  auto current = testing::one_service_config();
  current.set_generation(4);
  current.set_term(2);
  auto proposed = testing::one_service_config("api");
  proposed.set_generation(99);  // whatever the caller sent: the primary decides
  auto committed = prepare_commit(current, proposed, 1);
  ASSERT_TRUE(committed) << committed.error();
  EXPECT_EQ(committed.value().generation(), 5u);
  EXPECT_EQ(committed.value().term(), 2u);
  EXPECT_EQ(committed.value().virtual_services(0).label(), "api");
  EXPECT_EQ(prepare_commit(current, proposed, 7).value().term(), 7u);
}

TEST(config_commit, invalid_config_is_not_committed) {
  auto proposed = testing::one_service_config();
  proposed.mutable_virtual_services(0)->set_ip("not-an-ip");
  auto committed = prepare_commit(empty_cluster_config(), proposed, 0);
  ASSERT_FALSE(committed);
  EXPECT_EQ(committed.error(), errc::invalid_config);
  EXPECT_NE(committed.error().message().find("virtual_services[0]"), std::string::npos)
      << committed.error();
}

TEST(config_commit, incoming_must_be_strictly_newer_and_not_older_term) {
  auto current = testing::one_service_config();
  current.set_generation(5);
  current.set_term(3);
  auto incoming = current;
  incoming.set_generation(6);
  EXPECT_TRUE(check_incoming(current, incoming));
  incoming.set_generation(5);
  EXPECT_FALSE(check_incoming(current, incoming));
  incoming.set_generation(4);
  EXPECT_FALSE(check_incoming(current, incoming));
  incoming.set_generation(9);
  incoming.set_term(2);
  auto older_term = check_incoming(current, incoming);
  ASSERT_FALSE(older_term);
  EXPECT_EQ(older_term.error(), errc::refused);
  EXPECT_NE(older_term.error().message().find("term"), std::string::npos);
}

TEST(config_commit, a_higher_term_supersedes_any_generation_of_an_older_one) {
  // The old primary committed generation 9 under term 3 while the secondary,
  // which had stopped at 7, took over with term 4 and committed 8.
  auto stale = testing::one_service_config("stale");
  stale.set_generation(9);
  stale.set_term(3);
  auto taken_over = testing::one_service_config("new");
  taken_over.set_generation(8);
  taken_over.set_term(4);
  EXPECT_TRUE(check_incoming(stale, taken_over));
  // ...and never the other way round, whatever the generation.
  stale.set_generation(100);
  auto refused = check_incoming(taken_over, stale);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("term 3 is older than this node's term 4"),
            std::string::npos)
      << refused.error();
  // Within one term the generation must still grow.
  auto same_term = taken_over;
  EXPECT_FALSE(check_incoming(taken_over, same_term));
  same_term.set_generation(9);
  EXPECT_TRUE(check_incoming(taken_over, same_term));
}

TEST(config_commit, incoming_invalid_config_is_refused) {
  auto incoming = testing::one_service_config();
  incoming.set_generation(1);
  incoming.mutable_virtual_services(0)->mutable_real_servers(0)->set_weight(1000);
  EXPECT_FALSE(check_incoming(empty_cluster_config(), incoming));
}

TEST(config_commit, store_then_load_gives_the_same_config) {
  testing::temp_dir dir;
  auto path = cluster_config_path(dir.path() / "etc");
  auto missing = load_cluster(path);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing.value().generation(), 0u);
  auto config = prepare_commit(empty_cluster_config(), testing::one_service_config(), 3).value();
  ASSERT_TRUE(store_cluster(path, config));
  auto loaded = load_cluster(path);
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(loaded.value().SerializeAsString(), config.SerializeAsString());
}

TEST(config_commit, unreadable_config_is_an_error_not_an_empty_config) {
  testing::temp_dir dir;
  auto path = cluster_config_path(dir.path());
  ASSERT_TRUE(write_file_atomically(path, "generation: [\n"));
  EXPECT_FALSE(load_cluster(path));
}

TEST(config_commit, header_reads_generation_and_term_as_the_full_load_does) {
  testing::temp_dir dir;
  auto path = cluster_config_path(dir.path());
  EXPECT_EQ(load_cluster_header(path).value().generation(), 0u);  // missing: empty
  auto config = testing::one_service_config();
  config.set_generation(41);
  config.set_term(7);
  ASSERT_TRUE(store_cluster(path, config));
  auto header = load_cluster_header(path);
  ASSERT_TRUE(header) << header.error();
  EXPECT_EQ(header.value().generation(), 41u);
  EXPECT_EQ(header.value().term(), 7u);
  EXPECT_EQ(header.value().virtual_services_size(), 0);  // the header only

  // Other layouts go through the full parser and give the same answer.
  ASSERT_TRUE(write_file_atomically(path, "{generation: 5, term: 2}\n"));
  EXPECT_EQ(load_cluster_header(path).value().generation(), 5u);
  EXPECT_EQ(load_cluster_header(path).value().term(), 2u);
  ASSERT_TRUE(write_file_atomically(path, "generation: 6  # comment\nterm: 3\n"));
  EXPECT_EQ(load_cluster_header(path).value().generation(), 6u);
  ASSERT_TRUE(write_file_atomically(path, "generation: 6\ngeneration: 7\nterm: 3\n"));
  EXPECT_FALSE(load_cluster_header(path));  // repeated key: the full parser refuses it
  ASSERT_TRUE(write_file_atomically(path, "generation: [\nterm: 1\n"));
  EXPECT_FALSE(load_cluster_header(path));
}

}  // namespace
}  // namespace lbha::pairing
