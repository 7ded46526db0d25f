// History, rollback and take-over between two nodes in temp dirs: each node's
// replication_ops has its own ssh double whose peer is the other node's
// receiver, so the old primary returning talks to the node that took over
// exactly as over SSH (its pair key, the forced command's receiver).
#include <gtest/gtest.h>

#include "common/atomic_file.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/config_history.hpp"
#include "replicator/pairing/replication_ops.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

constexpr const char* password = "s3cret-pw";

class take_over_test : public ::testing::Test {
 protected:
  take_over_test()
      : lb1_(testing::make_node(root_.path() / "lb1", "lb1")),
        lb2_(testing::make_node(root_.path() / "lb2", "lb2")),
        lb1_ops_(lb1_, ssh_from_lb1_, lb1_daemons_) {
    lb2_peer_ = &ssh_from_lb1_.add_peer("192.0.2.2", lb2_, password);
    lb1_peer_ = &ssh_from_lb2_.add_peer("192.0.2.1", lb1_, password);
  }

  void SetUp() override {
    lbha::v1::PairRequest request;
    request.set_peer_address("192.0.2.2");
    request.set_password(password);
    request.set_expected_fingerprint(lb2_peer_->fingerprint);
    auto paired = lb1_ops_.pair(request);
    ASSERT_TRUE(paired.ok()) << paired.message();
    lb2_ops_.emplace(lb2_, ssh_from_lb2_, lb2_peer_->daemons);
    lb1_daemons_.term = 1;
    auto committed = lb1_ops_.push(testing::one_service_config("web"), false);
    ASSERT_TRUE(committed.ok()) << committed.message();
  }

  lbha::v1::ClusterConfig config_on(const node_context& node) {
    return load_cluster(cluster_config_path(node.config_dir)).value();
  }
  state::node_role role_of(const node_context& node) {
    return state::read_pairing(state::state_files(node.state_dir)).value()->role;
  }
  std::string label_on(const node_context& node) {
    auto config = config_on(node);
    return config.virtual_services_size() ? config.virtual_services(0).label() : "";
  }

  testing::temp_dir root_;
  node_context lb1_;
  node_context lb2_;
  testing::loopback_ssh ssh_from_lb1_;  // lb1 -> lb2's sshd
  testing::loopback_ssh ssh_from_lb2_;  // lb2 -> lb1's sshd
  testing::recording_daemons lb1_daemons_;
  testing::loopback_ssh::peer* lb2_peer_;
  testing::loopback_ssh::peer* lb1_peer_;
  replication_ops lb1_ops_;
  std::optional<replication_ops> lb2_ops_;
};

TEST_F(take_over_test, history_keeps_every_commit_on_both_nodes) {
  ASSERT_TRUE(lb1_ops_.push(testing::one_service_config("api"), false, "commit", "").ok());
  for (const auto* node : {&lb1_, &lb2_}) {
    auto listing = config_history(config_history::dir_in(node->state_dir)).list();
    ASSERT_TRUE(listing.problems.empty()) << listing.problems[0];
    ASSERT_EQ(listing.entries.size(), 3u) << node->node_name;
    EXPECT_EQ(listing.entries[0].generation, 1u);
    EXPECT_EQ(listing.entries[2].generation, 3u);
    EXPECT_EQ(listing.entries[2].summary, "+ api; - web") << node->node_name;
  }
  auto on_lb1 = config_history(config_history::dir_in(lb1_.state_dir)).list().entries;
  auto on_lb2 = config_history(config_history::dir_in(lb2_.state_dir)).list().entries;
  EXPECT_EQ(on_lb1[2].origin, "commit");
  EXPECT_EQ(on_lb2[2].origin, "pushed_by_lb1");
  EXPECT_EQ(on_lb2[0].origin, "paired_with_lb1");
}

TEST_F(take_over_test, a_history_that_cannot_be_written_never_fails_the_commit) {
  // lb2's history directory replaced by a file: its entries cannot be written.
  const auto dir = config_history::dir_in(lb2_.state_dir);
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(write_file_atomically(dir, "not a directory"));
  auto committed = lb1_ops_.push(testing::one_service_config("api"), false);
  ASSERT_TRUE(committed.ok()) << committed.message();
  EXPECT_EQ(label_on(lb2_), "api");
  EXPECT_EQ(config_history(config_history::dir_in(lb1_.state_dir)).list().entries.size(), 3u);
}

TEST_F(take_over_test, rollback_commits_the_old_content_as_a_new_generation_everywhere) {
  ASSERT_TRUE(lb1_ops_.push(testing::one_service_config("api"), false).ok());
  ASSERT_EQ(label_on(lb2_), "api");
  auto rolled = lb1_ops_.rollback(2, false);
  ASSERT_TRUE(rolled.ok()) << rolled.message();
  for (const auto* node : {&lb1_, &lb2_}) {
    auto config = config_on(*node);
    EXPECT_EQ(config.generation(), 4u) << node->node_name;
    EXPECT_EQ(label_on(*node), "web") << node->node_name;
  }
  auto latest = config_history(config_history::dir_in(lb1_.state_dir)).list().entries.back();
  EXPECT_EQ(latest.origin, "rollback");
  EXPECT_EQ(latest.summary, "to generation 2: + web; - api");
  // Content equal to generation 2 except generation and term.
  auto two = config_history(config_history::dir_in(lb1_.state_dir)).load(2).value();
  auto four = config_on(lb1_);
  two.set_generation(4);
  EXPECT_EQ(two.SerializeAsString(), four.SerializeAsString());

  auto missing = lb1_ops_.rollback(99, false);
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("generation 99 is not in this node's history"),
            std::string::npos)
      << missing.message();
  auto on_secondary = lb2_ops_->rollback(3, false);
  EXPECT_FALSE(on_secondary.ok());
  EXPECT_NE(on_secondary.message().find("secondary of lb1"), std::string::npos);
  EXPECT_EQ(config_on(lb1_).generation(), 4u);
  EXPECT_EQ(config_on(lb2_).generation(), 4u);
}

TEST_F(take_over_test, take_over_is_refused_while_the_primary_answers) {
  auto refused = lb2_ops_->take_over(false, false);  // lb1's sshd answers
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("its sshd answers at 192.0.2.1"), std::string::npos)
      << refused.message();
  lb1_peer_->up = false;
  auto heard = lb2_ops_->take_over(false, true);  // heartbeatd still hears it
  EXPECT_FALSE(heard.ok());
  EXPECT_NE(heard.message().find("heartbeats"), std::string::npos) << heard.message();
  EXPECT_EQ(role_of(lb2_), state::node_role::secondary);
  EXPECT_EQ(config_on(lb2_).generation(), 2u);
  lb1_peer_->up = true;
  auto forced = lb2_ops_->take_over(true, true);
  EXPECT_TRUE(forced.ok()) << forced.message();
  EXPECT_EQ(role_of(lb2_), state::node_role::primary);
}

TEST_F(take_over_test,
       the_returning_old_primary_becomes_the_secondary_and_its_stale_config_is_never_pushed) {
  // lb1 is gone; lb2 takes over with a higher term and commits.
  lb1_peer_->up = false;
  lb2_peer_->up = false;
  lb2_peer_->daemons.term = 3;  // heartbeatd on lb2 took the VIPs at term 3
  auto took = lb2_ops_->take_over(false, false);
  ASSERT_TRUE(took.ok()) << took.message();
  EXPECT_EQ(role_of(lb2_), state::node_role::primary);
  EXPECT_EQ(config_on(lb2_).term(), 4u);
  EXPECT_EQ(config_on(lb2_).generation(), 3u);
  auto committed = lb2_ops_->push(testing::one_service_config("after_takeover"), false);
  EXPECT_FALSE(committed.ok());  // not on lb1: it fetches it when it is back
  ASSERT_EQ(committed.nodes_size(), 2);
  EXPECT_TRUE(committed.nodes(0).ok());
  EXPECT_NE(committed.nodes(1).message().find("fetches generation 4 itself"), std::string::npos)
      << committed.nodes(1).message();
  // Meanwhile lb1, cut off, committed under its old term (generation 3 and 4, like lb2's).
  ASSERT_FALSE(lb1_ops_.push(testing::one_service_config("stale"), false).ok());
  ASSERT_FALSE(lb1_ops_.push(testing::one_service_config("stale2"), false).ok());
  EXPECT_EQ(config_on(lb1_).generation(), 4u);

  // lb1 returns: its catch-up sees lb2's higher term and follows instead of pushing.
  lb2_peer_->up = true;
  auto check = lb1_ops_.catch_up();
  EXPECT_TRUE(check.in_sync) << check.message;
  EXPECT_NE(check.message.find("lb2 took over with term 4"), std::string::npos) << check.message;
  EXPECT_EQ(role_of(lb1_), state::node_role::secondary);
  EXPECT_EQ(label_on(lb1_), "after_takeover");
  EXPECT_EQ(config_on(lb1_).SerializeAsString(), config_on(lb2_).SerializeAsString());
  EXPECT_EQ(label_on(lb2_), "after_takeover");
  auto lb1_history = config_history(config_history::dir_in(lb1_.state_dir));
  EXPECT_EQ(lb1_history.list().entries.back().origin, "took_over_by_lb2");
  EXPECT_EQ(lb1_history.load(4).value().virtual_services(0).label(), "after_takeover");

  // lb1 is a secondary now: its edits are refused naming lb2.
  auto edit = lb1_ops_.push(testing::one_service_config("late"), false);
  EXPECT_FALSE(edit.ok());
  EXPECT_NE(edit.message().find("secondary of lb2"), std::string::npos) << edit.message();
  // lb2's next commit reaches lb1 by lb1's fetch (catch-up poll or heartbeat).
  ASSERT_FALSE(lb2_ops_->push(testing::one_service_config("next"), false).ok());
  EXPECT_TRUE(lb1_ops_.catch_up().in_sync);
  EXPECT_EQ(label_on(lb1_), "next");
  EXPECT_EQ(config_on(lb1_).generation(), 5u);
  // In sync: nothing more to fetch.
  auto again = lb1_ops_.catch_up();
  EXPECT_TRUE(again.in_sync);
  EXPECT_FALSE(again.push);
}

TEST_F(take_over_test, a_stale_push_of_the_returning_primary_is_refused_and_it_follows) {
  lb1_peer_->up = false;
  ASSERT_TRUE(lb2_ops_->take_over(false, false).ok());
  // lb1 comes back and commits before its catch-up ran: lb2 refuses the older
  // term, and lb1 takes lb2's config and becomes its secondary.
  auto stale = lb1_ops_.push(testing::one_service_config("stale"), false);
  EXPECT_FALSE(stale.ok());
  EXPECT_NE(stale.message().find("lb2 took over as the config authority"), std::string::npos)
      << stale.message();
  EXPECT_EQ(role_of(lb1_), state::node_role::secondary);
  EXPECT_EQ(label_on(lb1_), "web");
  EXPECT_EQ(label_on(lb2_), "web");
  EXPECT_EQ(config_on(lb1_).SerializeAsString(), config_on(lb2_).SerializeAsString());
}

TEST_F(take_over_test, a_primary_takes_a_push_of_a_higher_term_and_becomes_the_secondary) {
  // lb2 took over; lb1 returned and follows it; then lb2 is gone and lb1 takes over back.
  lb1_peer_->up = false;
  ASSERT_TRUE(lb2_ops_->take_over(false, false).ok());
  lb1_peer_->up = true;
  ASSERT_TRUE(lb1_ops_.catch_up().in_sync);
  ASSERT_EQ(role_of(lb1_), state::node_role::secondary);
  lb2_peer_->up = false;
  auto back = lb1_ops_.take_over(false, false);
  ASSERT_TRUE(back.ok()) << back.message();
  const auto term = config_on(lb1_).term();
  EXPECT_GT(term, config_on(lb2_).term());
  // lb1 still holds its key login to lb2, so its next commit is pushed there:
  // lb2 (still calling itself the primary) takes the higher term and steps down.
  lb2_peer_->up = true;
  auto pushed = lb1_ops_.push(testing::one_service_config("lb1_again"), false);
  ASSERT_TRUE(pushed.ok()) << pushed.message();
  EXPECT_NE(pushed.nodes(1).message().find("this node is its secondary now"), std::string::npos)
      << pushed.nodes(1).message();
  EXPECT_EQ(role_of(lb2_), state::node_role::secondary);
  EXPECT_EQ(label_on(lb2_), "lb1_again");
  // An older term is still refused by a primary.
  auto old = config_on(lb2_);
  old.set_term(term - 1);
  old.set_generation(100);
  receiver rx(lb1_, "", lb1_daemons_);
  lbha::v1::ReceiveRequest request;
  *request.mutable_config() = old;
  auto reply = rx.handle(request, true);
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.message.find("this node is the primary"), std::string::npos) << reply.message;
}

}  // namespace
}  // namespace lbha::pairing
