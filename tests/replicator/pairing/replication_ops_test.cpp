// Pairing, commit, push, catch-up and unpair between two nodes in temp dirs,
// with the peer's sshd played by loopback_ssh and the peer's receiver in-process.
#include "replicator/pairing/replication_ops.hpp"

#include <map>

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/atomic_file.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/replicator.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

constexpr const char* password = "s3cret-pw";
constexpr const char* secondary_address = "192.0.2.2";

class replication_ops_test : public ::testing::Test {
 protected:
  replication_ops_test()
      : lb1_(testing::make_node(root_.path() / "lb1", "lb1")),
        lb2_(testing::make_node(root_.path() / "lb2", "lb2")),
        ops_(lb1_, ssh_, daemons_) {
    peer_ = &ssh_.add_peer(secondary_address, lb2_, password);
  }

  lbha::v1::ClusterConfig config_on(const node_context& node) {
    return load_cluster(cluster_config_path(node.config_dir)).value();
  }

  // What lbctl pair sends once the operator confirmed the peer's host key.
  lbha::v1::PairRequest pair_request(const std::string& pw = password,
                                     const std::string& address = secondary_address) {
    lbha::v1::PairRequest request;
    request.set_peer_address(address);
    request.set_password(pw);
    request.set_expected_fingerprint(peer_->fingerprint);
    return request;
  }

  void pair_ok() {
    auto result = ops_.pair(pair_request());
    ASSERT_TRUE(result.ok()) << result.message();
  }

  std::string lb2_authorized_keys() {
    auto text = read_file(lb2_.authorized_keys);
    return text ? text.value() : "";
  }

  testing::temp_dir root_;
  node_context lb1_;
  node_context lb2_;
  testing::loopback_ssh ssh_;
  testing::recording_daemons daemons_;
  testing::loopback_ssh::peer* peer_;
  replication_ops ops_;
};

TEST_F(replication_ops_test, pair_writes_both_nodes_and_pins_the_host_key) {
  auto result = ops_.pair(pair_request());
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(result.peer_fingerprint(), peer_->fingerprint);
  EXPECT_NE(result.message().find(peer_->fingerprint), std::string::npos);

  auto mine = state::read_pairing(state::state_files(lb1_.state_dir)).value();
  auto theirs = state::read_pairing(state::state_files(lb2_.state_dir)).value();
  ASSERT_TRUE(mine && theirs);
  EXPECT_EQ(mine->role, state::node_role::primary);
  EXPECT_EQ(theirs->role, state::node_role::secondary);
  EXPECT_EQ(mine->cluster_id, theirs->cluster_id);
  EXPECT_EQ(mine->peer_node_name, "lb2");
  EXPECT_EQ(theirs->peer_node_name, "lb1");
  EXPECT_EQ(mine->local_node_id, theirs->peer_node_id);
  EXPECT_EQ(mine->peer_addresses.front(), secondary_address);
  EXPECT_EQ(theirs->peer_addresses, lb1_.local_addresses);

  auto key1 =
      state::read_heartbeat_keys(state::state_files(lb1_.state_dir).heartbeat_key()).value();
  auto key2 =
      state::read_heartbeat_keys(state::state_files(lb2_.state_dir).heartbeat_key()).value();
  ASSERT_TRUE(key1 && key2);
  EXPECT_EQ(*key1, *key2);
  struct stat st {};
  ASSERT_EQ(::stat(state::state_files(lb2_.state_dir).heartbeat_key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  EXPECT_EQ(*state::read_peer_host_key(state::state_files(lb1_.state_dir)).value(),
            peer_->fingerprint);
  EXPECT_NE(lb2_authorized_keys().find("command=\""), std::string::npos);
  EXPECT_NE(lb2_authorized_keys().find("lbha-pair:" + mine->cluster_id + ":lb1"),
            std::string::npos);
  // Both start from the same committed config, generation 1.
  EXPECT_EQ(config_on(lb1_).generation(), 1u);
  EXPECT_EQ(config_on(lb2_).generation(), 1u);
  EXPECT_GE(peer_->daemons.reloads, 1);
  EXPECT_GE(daemons_.reloads, 1);

  // The same pair certificate on both nodes, 0600; the pending pairing is gone.
  auto cert1 = state::read_pair_certificate(state::state_files(lb1_.state_dir).pair_certificate());
  auto cert2 = state::read_pair_certificate(state::state_files(lb2_.state_dir).pair_certificate());
  ASSERT_TRUE(cert1 && cert1.value() && cert2 && cert2.value());
  EXPECT_EQ(*cert1.value(), *cert2.value());
  EXPECT_EQ(result.certificate_fingerprint(),
            state::certificate_fingerprint(*cert1.value()).value());
  EXPECT_EQ(ops_.local_status().certificate_fingerprint(), result.certificate_fingerprint());
  EXPECT_FALSE(state::read_pending_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_EQ(peer_->locked_passwords, 0);
}

bool nothing_in(const std::filesystem::path& dir) {
  std::error_code ec;
  return !std::filesystem::exists(dir, ec) || std::filesystem::is_empty(dir, ec);
}

TEST_F(replication_ops_test, pair_needs_a_confirmed_fingerprint) {
  auto request = pair_request();
  request.clear_expected_fingerprint();
  auto result = ops_.pair(request);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("--expect-fingerprint"), std::string::npos) << result.message();
  EXPECT_EQ(peer_->passwords_received, 0);
  EXPECT_EQ(ssh_.calls, 0);
}

// The attack: someone else's sshd answers at the peer's address.
TEST_F(replication_ops_test, another_host_key_at_the_first_look_stops_before_anything) {
  const std::string real = peer_->fingerprint;
  peer_->fingerprint = "SHA256:impostorCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
  auto request = pair_request();
  request.set_expected_fingerprint(real);
  auto result = ops_.pair(request);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.message().rfind("host_key_mismatch", 0), 0u) << result.message();
  EXPECT_NE(result.message().find(real), std::string::npos);
  EXPECT_NE(result.message().find(peer_->fingerprint), std::string::npos);
  EXPECT_EQ(peer_->passwords_received, 0);
  // Nothing written on either node, not even this node's key.
  EXPECT_TRUE(nothing_in(lb1_.state_dir));
  EXPECT_TRUE(nothing_in(lb2_.state_dir));
  EXPECT_TRUE(nothing_in(lb1_.config_dir));
  EXPECT_EQ(lb2_authorized_keys(), "");
}

// The impostor shows the real key to the first look and its own at the login:
// the login is pinned too, and ends before the password is sent.
TEST_F(replication_ops_test, another_host_key_at_the_login_stops_before_the_password) {
  peer_->login_fingerprint = "SHA256:impostorCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC";
  auto result = ops_.pair(pair_request());
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.message().rfind("host_key_mismatch", 0), 0u) << result.message();
  EXPECT_NE(result.message().find(peer_->fingerprint), std::string::npos);
  EXPECT_NE(result.message().find(*peer_->login_fingerprint), std::string::npos);
  EXPECT_EQ(peer_->passwords_received, 0);
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_FALSE(state::read_pending_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_TRUE(nothing_in(lb2_.state_dir));
  EXPECT_EQ(lb2_authorized_keys(), "");
}

TEST_F(replication_ops_test, a_pairing_cut_after_the_secondary_stored_it_is_finished_by_a_retry) {
  // The primary has a service: the half-paired secondary then holds it too.
  ASSERT_TRUE(store_cluster(cluster_config_path(lb1_.config_dir),
                            prepare_commit(empty_cluster_config(),
                                           testing::one_service_config("web"), 0)
                                .value()));
  peer_->cut_after = lbha::v1::ReceiveRequest::kPair;
  auto cut = ops_.pair(pair_request());
  EXPECT_FALSE(cut.ok());
  EXPECT_NE(cut.message().find("run the same `lbctl pair` again"), std::string::npos)
      << cut.message();
  auto theirs = state::read_pairing(state::state_files(lb2_.state_dir)).value();
  ASSERT_TRUE(theirs);  // the secondary wrote its files
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  auto pending = state::read_pending_pairing(state::state_files(lb1_.state_dir)).value();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->cluster_id, theirs->cluster_id);
  struct stat st {};
  ASSERT_EQ(::stat(state::state_files(lb1_.state_dir).pending_pairing().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  // Even half paired (the pairing file not written yet, the services already there).
  ASSERT_TRUE(std::filesystem::remove(state::state_files(lb2_.state_dir).pairing()));
  auto retry = ops_.pair(pair_request());
  ASSERT_TRUE(retry.ok()) << retry.message();
  auto mine = state::read_pairing(state::state_files(lb1_.state_dir)).value();
  theirs = state::read_pairing(state::state_files(lb2_.state_dir)).value();
  ASSERT_TRUE(mine && theirs);
  EXPECT_EQ(mine->cluster_id, pending->cluster_id);
  EXPECT_EQ(theirs->cluster_id, pending->cluster_id);
  EXPECT_EQ(*state::read_heartbeat_keys(state::state_files(lb1_.state_dir).heartbeat_key())
                 .value(),
            std::vector<state::heartbeat_key>{pending->key});
  EXPECT_EQ(*state::read_pair_certificate(state::state_files(lb2_.state_dir).pair_certificate())
                 .value(),
            pending->certificate);
  EXPECT_FALSE(state::read_pending_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_EQ(config_on(lb2_).virtual_services(0).label(), "web");
  // One key line for the pair, not two.
  const auto keys = lb2_authorized_keys();
  EXPECT_EQ(keys.find("lbha-pair:"), keys.rfind("lbha-pair:"));
  EXPECT_TRUE(ops_.push(testing::one_service_config("api"), false).ok());
}

TEST_F(replication_ops_test, a_pairing_cut_at_the_key_check_is_finished_by_a_retry) {
  peer_->cut_after = lbha::v1::ReceiveRequest::kStatus;
  auto cut = ops_.pair(pair_request());
  EXPECT_FALSE(cut.ok());
  EXPECT_NE(cut.message().find("again"), std::string::npos) << cut.message();
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  auto retry = ops_.pair(pair_request());
  ASSERT_TRUE(retry.ok()) << retry.message();
  EXPECT_EQ(state::read_pairing(state::state_files(lb1_.state_dir)).value()->cluster_id,
            state::read_pairing(state::state_files(lb2_.state_dir)).value()->cluster_id);
}

TEST_F(replication_ops_test, a_re_offer_from_another_primary_key_is_refused) {
  peer_->cut_after = lbha::v1::ReceiveRequest::kPair;
  ASSERT_FALSE(ops_.pair(pair_request()).ok());
  const auto cluster = state::read_pairing(state::state_files(lb2_.state_dir)).value()->cluster_id;
  // Same cluster id, another key: whoever holds this pending file is not the primary lb2 took.
  ASSERT_TRUE(std::filesystem::remove(state::state_files(lb1_.state_dir).node_key()));
  auto other = ops_.pair(pair_request());
  EXPECT_FALSE(other.ok());
  EXPECT_NE(other.message().find("another primary key"), std::string::npos) << other.message();
  EXPECT_EQ(state::read_pairing(state::state_files(lb2_.state_dir)).value()->cluster_id, cluster);
}

TEST_F(replication_ops_test, pair_locks_the_peer_password_over_the_key_when_asked) {
  auto request = pair_request();
  request.set_lock_password(true);
  auto result = ops_.pair(request);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(peer_->locked_passwords, 1);
  EXPECT_EQ(peer_->passwords_received, 1);  // the pairing's own login only
  EXPECT_NE(result.message().find("locked (usermod -L)"), std::string::npos) << result.message();

  // Only the secondary of that cluster takes it.
  lbha::v1::ReceiveRequest lock;
  lock.mutable_lock_password()->set_cluster_id("ffffffffffffffffffffffffffffffff");
  receiver rx(lb2_, "cmd", peer_->daemons);
  rx.set_password_locker([](const std::string&) -> lbha::result<void> { return success(); });
  EXPECT_FALSE(rx.handle(lock, true).ok);
}

TEST_F(replication_ops_test, wrong_password_leaves_no_trace) {
  auto result = ops_.pair(pair_request("wrong"));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("wrong password"), std::string::npos);
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_FALSE(state::read_pairing(state::state_files(lb2_.state_dir)).value());
  EXPECT_FALSE(state::read_peer_host_key(state::state_files(lb1_.state_dir)).value());
  EXPECT_EQ(lb2_authorized_keys(), "");
}

TEST_F(replication_ops_test, unreachable_peer_fails_cleanly) {
  auto result = ops_.pair(pair_request(password, "203.0.113.99"));
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("cannot reach"), std::string::npos);
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
}

TEST_F(replication_ops_test, peer_with_its_own_services_refuses) {
  ASSERT_TRUE(store_cluster(cluster_config_path(lb2_.config_dir),
                            prepare_commit(empty_cluster_config(),
                                           testing::one_service_config("theirs"), 0)
                                .value()));
  auto result = ops_.pair(pair_request());
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("virtual service"), std::string::npos) << result.message();
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_EQ(config_on(lb2_).virtual_services(0).label(), "theirs");
}

TEST_F(replication_ops_test, peer_paired_elsewhere_refuses_and_local_pair_twice_refuses) {
  state::pairing_identity other;
  other.cluster_id = "ffffffffffffffffffffffffffffffff";
  other.role = state::node_role::secondary;
  other.local_node_id = state::secondary_node_id;
  other.local_node_name = "lb2";
  other.peer_node_id = state::primary_node_id;
  other.peer_node_name = "lb9";
  ASSERT_TRUE(state::write_pairing(state::state_files(lb2_.state_dir), other));
  auto result = ops_.pair(pair_request());
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("already paired with lb9"), std::string::npos);

  ASSERT_TRUE(state::clear_pairing(state::state_files(lb2_.state_dir)));
  pair_ok();
  auto again = ops_.pair(pair_request());
  EXPECT_FALSE(again.ok());
  EXPECT_NE(again.message().find("already paired"), std::string::npos);
}

TEST_F(replication_ops_test, commit_appears_on_the_secondary_with_equal_generation) {
  pair_ok();
  daemons_.term = 4;
  auto result = ops_.push(testing::one_service_config(), false);
  ASSERT_TRUE(result.ok()) << result.message();
  ASSERT_EQ(result.nodes_size(), 2);
  EXPECT_EQ(result.nodes(0).node(), "lb1");
  EXPECT_EQ(result.nodes(1).node(), "lb2");
  EXPECT_EQ(result.nodes(1).generation(), 2u);
  auto primary = config_on(lb1_);
  auto secondary = config_on(lb2_);
  EXPECT_EQ(primary.generation(), 2u);
  EXPECT_EQ(primary.term(), 4u);
  EXPECT_EQ(secondary.SerializeAsString(), primary.SerializeAsString());
  EXPECT_GE(peer_->daemons.config_reloads, 2);
}

TEST_F(replication_ops_test, dry_run_and_invalid_configs_change_nothing) {
  pair_ok();
  auto dry = ops_.push(testing::one_service_config(), true);
  EXPECT_TRUE(dry.ok());
  EXPECT_NE(dry.message().find("generation 2"), std::string::npos);
  auto bad = testing::one_service_config();
  bad.mutable_virtual_services(0)->clear_ports();
  EXPECT_FALSE(ops_.push(bad, false).ok());
  EXPECT_EQ(config_on(lb1_).generation(), 1u);
  EXPECT_EQ(config_on(lb2_).generation(), 1u);
}

TEST_F(replication_ops_test, secondary_refuses_edits_naming_the_primary) {
  pair_ok();
  replication_ops on_secondary(lb2_, ssh_, peer_->daemons);
  auto result = on_secondary.push(testing::one_service_config(), false);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("secondary of lb1"), std::string::npos) << result.message();
  EXPECT_EQ(config_on(lb2_).generation(), 1u);
}

TEST_F(replication_ops_test, secondary_down_catches_up_when_back) {
  pair_ok();
  peer_->up = false;
  auto result = ops_.push(testing::one_service_config(), false);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.nodes(0).ok());
  EXPECT_FALSE(result.nodes(1).ok());
  EXPECT_NE(result.message().find("catches up"), std::string::npos);
  EXPECT_EQ(config_on(lb1_).generation(), 2u);
  EXPECT_EQ(config_on(lb2_).generation(), 1u);

  auto down = ops_.catch_up();
  EXPECT_TRUE(down.attempted);
  EXPECT_FALSE(down.reachable);

  peer_->up = true;
  auto back = ops_.catch_up();
  EXPECT_TRUE(back.reachable);
  EXPECT_TRUE(back.in_sync);
  ASSERT_TRUE(back.push.has_value());
  EXPECT_EQ(back.peer_generation, 2u);
  EXPECT_EQ(config_on(lb2_).SerializeAsString(), config_on(lb1_).SerializeAsString());

  auto steady = ops_.catch_up();
  EXPECT_TRUE(steady.in_sync);
  EXPECT_FALSE(steady.push.has_value());
}

TEST_F(replication_ops_test, changed_host_key_is_refused) {
  pair_ok();
  peer_->fingerprint = "SHA256:someoneelseBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
  auto result = ops_.push(testing::one_service_config(), false);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.nodes(1).message().find("host key of lb2 changed"), std::string::npos)
      << result.nodes(1).message();
  EXPECT_NE(result.nodes(1).message().find(peer_->fingerprint), std::string::npos);
  EXPECT_EQ(config_on(lb2_).generation(), 1u);
}

TEST_F(replication_ops_test, secondary_refuses_an_older_generation) {
  pair_ok();
  ASSERT_TRUE(ops_.push(testing::one_service_config(), false).ok());
  lbha::v1::ReceiveRequest request;
  *request.mutable_config() = config_on(lb1_);
  request.mutable_config()->set_generation(1);
  receiver rx(lb2_, "cmd", peer_->daemons);
  auto reply = rx.handle(request, true);
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.generation, 2u);
  EXPECT_EQ(config_on(lb2_).generation(), 2u);
}

TEST_F(replication_ops_test, secondary_refuses_a_newer_generation_from_an_older_term) {
  pair_ok();
  daemons_.term = 5;
  ASSERT_TRUE(ops_.push(testing::one_service_config(), false).ok());
  ASSERT_EQ(config_on(lb2_).term(), 5u);
  // A stale primary (older term) with a higher generation must not win.
  lbha::v1::ReceiveRequest request;
  *request.mutable_config() = config_on(lb1_);
  request.mutable_config()->set_generation(9);
  request.mutable_config()->set_term(4);
  receiver rx(lb2_, "cmd", peer_->daemons);
  auto reply = rx.handle(request, true);
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.message.find("term"), std::string::npos) << reply.message;
  EXPECT_EQ(config_on(lb2_).generation(), 2u);
  EXPECT_EQ(config_on(lb2_).term(), 5u);
}

TEST_F(replication_ops_test, reload_failure_on_the_secondary_reaches_the_caller) {
  pair_ok();
  peer_->daemons.fail_reload = true;
  auto result = ops_.push(testing::one_service_config(), false);
  EXPECT_FALSE(result.ok());
  ASSERT_EQ(result.nodes_size(), 2);
  EXPECT_TRUE(result.nodes(0).ok());
  EXPECT_FALSE(result.nodes(1).ok());
  EXPECT_EQ(result.nodes(1).generation(), 2u);
  EXPECT_NE(result.nodes(1).message().find("proxyd refused"), std::string::npos)
      << result.nodes(1).message();
  EXPECT_NE(result.message().find("lb2 did not reload it"), std::string::npos) << result.message();
  // The file is stored: the secondary is not behind, only its daemon is.
  EXPECT_EQ(config_on(lb2_).generation(), 2u);
}

TEST_F(replication_ops_test, reload_failure_on_the_primary_reaches_the_caller) {
  pair_ok();
  daemons_.fail_reload = true;
  auto result = ops_.push(testing::one_service_config(), false);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.nodes(0).ok());
  EXPECT_TRUE(result.nodes(1).ok());
  EXPECT_NE(result.message().find("but on lb1"), std::string::npos) << result.message();
}

TEST_F(replication_ops_test, a_commit_reloads_proxyd_syncd_heartbeatd_and_names_a_refusal) {
  pair_ok();
  daemons_.rpc.asked.clear();
  peer_->daemons.rpc.asked.clear();
  ASSERT_TRUE(ops_.push(testing::one_service_config(), false).ok());
  const std::vector<std::string> order{"proxyd", "syncd", "heartbeatd"};
  EXPECT_EQ(daemons_.rpc.asked, order);
  EXPECT_EQ(peer_->daemons.rpc.asked, order);
  ASSERT_TRUE(daemons_.rpc.requests.back().has_config());

  peer_->daemons.rpc.refusing = "heartbeatd";
  auto result = ops_.push(testing::one_service_config("api"), false);
  EXPECT_FALSE(result.ok()) << result.message();
  ASSERT_EQ(result.nodes_size(), 2);
  EXPECT_NE(result.nodes(1).message().find("heartbeatd refused the config"), std::string::npos)
      << result.nodes(1).message();
  EXPECT_NE(result.message().find("heartbeatd refused"), std::string::npos) << result.message();
}

TEST_F(replication_ops_test, restricted_key_cannot_pair) {
  lbha::v1::ReceiveRequest request;
  request.mutable_pair()->set_cluster_id("abc");
  receiver rx(lb2_, "cmd", peer_->daemons);
  auto reply = rx.handle(request, true);
  EXPECT_FALSE(reply.ok);
  EXPECT_FALSE(state::read_pairing(state::state_files(lb2_.state_dir)).value());
}

TEST_F(replication_ops_test, unpair_removes_the_key_and_state_on_both) {
  const std::string operator_key = "ssh-rsa AAAAB3NzaOperator admin@laptop\n";
  std::filesystem::create_directories(lb2_.authorized_keys.parent_path());
  ASSERT_TRUE(write_file_atomically(lb2_.authorized_keys, operator_key, 0600));
  pair_ok();
  auto result = ops_.unpair(false);
  ASSERT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(lb2_authorized_keys(), operator_key);
  for (const auto* node : {&lb1_, &lb2_}) {
    state::state_files files(node->state_dir);
    EXPECT_FALSE(state::read_pairing(files).value());
    EXPECT_FALSE(state::read_heartbeat_keys(files.heartbeat_key()).value());
    EXPECT_FALSE(state::read_peer_host_key(files).value());
  }
  // The key no longer opens the peer.
  lbha::v1::ReceiveRequest status;
  status.mutable_status();
  auto after = ssh_.exec({secondary_address, 22, "loadbalancer"},
                         {std::nullopt, state::state_files(lb1_.state_dir).node_key()},
                         std::nullopt, "", encode_request(status));
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error(), errc::auth_failed);
  // And the pair can be made again.
  pair_ok();
}

TEST_F(replication_ops_test, unpair_with_the_peer_gone_needs_local) {
  pair_ok();
  peer_->up = false;
  auto result = ops_.unpair(false);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("--local"), std::string::npos);
  EXPECT_TRUE(state::read_pairing(state::state_files(lb1_.state_dir)).value());
  EXPECT_TRUE(ops_.unpair(true).ok());
  EXPECT_FALSE(state::read_pairing(state::state_files(lb1_.state_dir)).value());

  replication_ops on_secondary(lb2_, ssh_, peer_->daemons);
  auto refused = on_secondary.unpair(false);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("primary lb1"), std::string::npos);
  ASSERT_TRUE(on_secondary.unpair(true).ok());
  EXPECT_EQ(lb2_authorized_keys().find("lbha-pair:"), std::string::npos);
}

TEST_F(replication_ops_test, status_reports_files) {
  auto before = ops_.local_status();
  EXPECT_FALSE(before.paired());
  pair_ok();
  auto after = ops_.local_status();
  EXPECT_TRUE(after.paired());
  EXPECT_EQ(after.role(), "primary");
  EXPECT_EQ(after.peer_node(), "lb2");
  EXPECT_EQ(after.peer_address(), secondary_address);
  EXPECT_EQ(after.peer_fingerprint(), peer_->fingerprint);
  EXPECT_EQ(after.local_generation(), 1u);
}

// The poll interval is an hour and start() is never called: only heartbeats can trigger.
TEST_F(replication_ops_test, heartbeat_reporting_an_older_peer_generation_triggers_catch_up) {
  pair_ok();
  peer_->up = false;
  ASSERT_FALSE(ops_.push(testing::one_service_config(), false).ok());
  peer_->up = true;
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  replicator rep(io, ops_, {std::chrono::hours(1), std::chrono::hours(1)});
  auto run_until = [&](auto done) {
    for (int i = 0; i < 300 && !done(); ++i) io.run_for(std::chrono::milliseconds(10));
    return done();
  };
  lbha::v1::HaStatus heartbeat;
  heartbeat.set_config_generation(2);
  heartbeat.set_peer_config_generation(1);

  // A peer heartbeatd does not hear says nothing about the peer's generation.
  const int calls = ssh_.calls;
  rep.on_heartbeat(heartbeat);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ssh_.calls, calls);
  EXPECT_TRUE(rep.status().heartbeat_watch());

  heartbeat.set_peer_alive(true);
  rep.on_heartbeat(heartbeat);
  ASSERT_TRUE(run_until([&] { return !rep.status().last_catch_up().empty(); }));
  EXPECT_EQ(config_on(lb2_).generation(), 2u);
  EXPECT_EQ(rep.status().last_catch_up().rfind("heartbeat: pushed generation 2", 0), 0u)
      << rep.status().last_catch_up();

  // Heartbeats still carrying the old generation right after the push push nothing more.
  const int after = ssh_.calls;
  rep.on_heartbeat(heartbeat);
  io.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ssh_.calls, after);

  rep.on_heartbeat_lost();
  io.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(rep.status().heartbeat_watch());
  rep.stop();
}

TEST_F(replication_ops_test, a_commit_the_peer_does_not_take_raises_push_failed) {
  pair_ok();
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  replicator rep(io, ops_, {std::chrono::hours(1), std::chrono::hours(1)});
  std::vector<alert_event> alerts;
  rep.set_alert_sink([&](alert_event e) { alerts.push_back(std::move(e)); });
  const auto finish = [&](std::future<lbha::v1::ReplicationResult> f) {
    while (f.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
      io.run_for(std::chrono::milliseconds(10));
    }
    io.run_for(std::chrono::milliseconds(20));  // the io thread notes the result
    return f.get();
  };
  peer_->up = false;
  EXPECT_FALSE(finish(rep.push(testing::one_service_config(), false)).ok());
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].name, "push_failed");
  const std::map<std::string, std::string> details(alerts[0].details.begin(),
                                                   alerts[0].details.end());
  EXPECT_EQ(details.at("PEER"), "lb2");
  EXPECT_EQ(details.at("GENERATION"), "2");
  EXPECT_EQ(details.at("TRIGGER"), "commit");
  EXPECT_FALSE(details.at("REASON").empty());
  EXPECT_NE(alerts[0].message.find("to the peer lb2 failed (commit)"), std::string::npos)
      << alerts[0].message;
  peer_->up = true;
  EXPECT_TRUE(finish(rep.push(testing::one_service_config(), false)).ok());
  EXPECT_EQ(alerts.size(), 1u);
  // GetStatus carries the daemon's hook counters.
  rep.set_alert_counters([] { return hook_counters{3, 1, 0}; });
  EXPECT_EQ(rep.status().alert_hooks().started(), 3u);
  EXPECT_EQ(rep.status().alert_hooks().failed(), 1u);
  rep.stop();
}

TEST(replicator, check_delay_backs_off_and_caps) {
  using std::chrono::milliseconds;
  EXPECT_EQ(next_check_delay(0, milliseconds(500), milliseconds(4000)), milliseconds(500));
  EXPECT_EQ(next_check_delay(1, milliseconds(500), milliseconds(4000)), milliseconds(1000));
  EXPECT_EQ(next_check_delay(3, milliseconds(500), milliseconds(4000)), milliseconds(4000));
  EXPECT_EQ(next_check_delay(60, milliseconds(500), milliseconds(4000)), milliseconds(4000));
}

}  // namespace
}  // namespace lbha::pairing
