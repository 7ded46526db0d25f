// heartbeat_daemon as a whole, on a manual clock with the test doubles of
// doubles.hpp: no root, no sockets, no sleeping. The peer is scripted: the
// test encodes its heartbeats and delivers them on a path's UDP socket.
#include "heartbeatd/daemon.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/config/config.hpp"
#include "common/state/state_files.hpp"
#include "common/state/term_file.hpp"
#include "tests/heartbeatd/doubles.hpp"

namespace lbha::heartbeat {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

const cluster_id test_cluster = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
const std::string vip = "192.0.2.100";
const std::string vip2 = "192.0.2.101";

keyring test_keys() { return keyring({key{1, std::vector<std::uint8_t>(32, 0x5a)}}); }

v1::ClusterConfig cluster_with(const std::vector<std::string>& vips) {
  v1::ClusterConfig c;
  c.set_generation(1);
  auto* ha = c.mutable_ha();
  ha->set_interval_ms(100);
  ha->set_deadtime_ms(1000);
  ha->set_warntime_ms(500);
  ha->set_initdead_ms(1000);
  ha->mutable_arp_probe()->set_enabled(true);
  ha->mutable_arp_probe()->set_timeout_ms(30);
  ha->mutable_arp_probe()->set_count(2);
  ha->mutable_garp()->set_count(3);
  ha->mutable_garp()->set_interval_ms(10);
  ha->mutable_garp()->set_second_burst_delay_ms(1000);
  for (const auto& v : vips) {
    auto* vs = c.add_virtual_services();
    vs->set_label("web" + v.substr(v.rfind('.') + 1));
    vs->set_ip(v);
  }
  config::apply_defaults(c);
  return c;
}

class daemon_test : public ::testing::Test {
 protected:
  // Node 1 (priority 100) on eth0; path i is local_addresses[i] <-> peer_addresses[i].
  daemon_inputs inputs(int paths = 1) {
    daemon_inputs in;
    in.node.set_node_name("lb1");
    in.node.set_interface("eth0");
    in.node.set_priority(100);
    const char* locals[] = {"192.0.2.11", "198.51.100.11"};
    const char* peers[] = {"192.0.2.12", "198.51.100.12"};
    for (int i = 0; i < paths; ++i) {
      in.node.add_local_addresses(locals[i]);
      in.node.add_peer_addresses(peers[i]);
    }
    config::apply_defaults(in.node);
    in.cluster = cluster_with({vip});
    in.state_dir = state_dir_;
    in.run_dir = state_dir_;
    in.id = identity{test_cluster, 1};
    in.keys = test_keys();
    return in;
  }

  void SetUp() override {
    state_dir_ = std::filesystem::temp_directory_path() /
                 ("lbha-daemon-test-" + std::to_string(::getpid()) + "-" +
                  ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(state_dir_);
    std::filesystem::create_directories(state_dir_);
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  heartbeat_daemon& start(daemon_inputs in) {
    daemon_ = std::make_unique<heartbeat_daemon>(io_, world_.clock, std::move(in), world_.seams());
    auto r = daemon_->start();
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    return *daemon_;
  }

  // The peer (node 2, priority 100) says `r` on path `path`.
  void peer_says(role r, std::size_t path = 0, flags f = {true, true, false, false}) {
    message m;
    m.sender_role = r;
    m.priority = 100;
    m.health = f;
    m.cluster = test_cluster;
    m.node_id = 2;
    m.term = peer_term_;
    m.sequence = ++peer_sequence_;
    m.generation = 1;
    m.timestamp_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    const auto p = encode(m, test_keys().signing_key());
    const char* peers[] = {"192.0.2.12", "198.51.100.12"};
    const char* locals[] = {"192.0.2.11", "198.51.100.11"};
    auto* port = world_.port(locals[path]);
    ASSERT_NE(port, nullptr);
    port->on_datagram(p, {asio::ip::make_address(peers[path]), 6694});
  }

  // The peer heartbeats as `r` every interval for `d`, on every path listed.
  void peer_runs(role r, std::chrono::milliseconds d, std::vector<std::size_t> paths = {0}) {
    for (auto t = 0ms; t < d; t += 100ms) {
      for (auto p : paths) peer_says(r, p);
      advance(100ms);
    }
  }

  void advance(std::chrono::milliseconds d) { world_.timers->advance(d); }

  // The last heartbeat we sent on the socket bound to `local`.
  message last_sent(const std::string& local = "192.0.2.11") {
    auto* port = world_.port(local);
    EXPECT_TRUE(port && !port->sent.empty());
    auto m = decode(port->sent.back().first, test_cluster, test_keys());
    EXPECT_TRUE(m);
    return m.value();
  }

  std::uint64_t persisted_term() {
    auto t = state::read_term(state::state_files(state_dir_).term());
    EXPECT_TRUE(t) << t.error();
    return t ? t.value() : 0;
  }

  // Makes the daemon active with a live passive peer, then stops the probe noise.
  void become_active(heartbeat_daemon& d) {
    peer_runs(role::active, 300ms);
    ASSERT_EQ(d.current_role(), role::passive);
    advance(1000ms);  // the peer goes silent: probe, then takeover
    ASSERT_EQ(d.current_role(), role::active);
  }

  fakes::fake_world world_;
  asio::io_context io_;
  std::filesystem::path state_dir_;
  std::unique_ptr<heartbeat_daemon> daemon_;
  std::uint64_t peer_term_ = 3;
  std::uint64_t peer_sequence_ = 1000;
};

TEST_F(daemon_test, takeover_when_the_peer_falls_silent_probes_then_adds_the_vips_and_announces) {
  auto& d = start(inputs());
  EXPECT_EQ(d.current_role(), role::init);
  EXPECT_FALSE(world_.addresses->has(vip));
  peer_runs(role::active, 500ms);
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_EQ(last_sent().sender_role, role::passive);
  EXPECT_EQ(world_.link->probes_for(vip), 0);

  // The last heartbeat came 100 ms ago; the peer stays silent from now on.
  advance(867ms);  // 967 ms of silence: the probe starts deadtime - probe_lead (32 ms) early
  EXPECT_EQ(world_.link->probes_for(vip), 0);
  advance(1ms);
  EXPECT_EQ(world_.link->probes_for(vip), 1);
  EXPECT_EQ(d.current_role(), role::passive);
  advance(15ms);
  EXPECT_EQ(world_.link->probes_for(vip), 2);  // count 2 within the 30 ms timeout
  advance(16ms);  // 999 ms: the probe found nobody, but the peer is not dead yet
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));

  advance(1ms);  // deadtime exactly, between two interval ticks: the deadline timer
  EXPECT_EQ(d.current_role(), role::active);
  EXPECT_TRUE(world_.addresses->has(vip));
  EXPECT_EQ(world_.link->gratuitous_for(vip), 1);  // the burst's first round, at once
  EXPECT_EQ(last_sent().sender_role, role::active);
  EXPECT_EQ(last_sent().term, 4u);
  EXPECT_EQ(persisted_term(), 4u);
  advance(20ms);
  EXPECT_EQ(world_.link->gratuitous_for(vip), 3);
  advance(1000ms);
  EXPECT_EQ(world_.link->gratuitous_for(vip), 6);  // the second burst
  auto st = d.status();
  EXPECT_TRUE(st.vips_held());
  EXPECT_EQ(st.takeovers(), 1u);
  EXPECT_FALSE(st.peer_alive());
}

TEST_F(daemon_test, yields_to_a_peer_asking_to_be_active_and_make_passive_needs_a_live_peer) {
  auto& d = start(inputs());
  become_active(d);
  ASSERT_TRUE(world_.addresses->has(vip));
  // With the peer dead, make-passive would leave the VIPs unowned.
  auto refused = d.make_passive();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::no_live_peer);
  EXPECT_EQ(d.current_role(), role::active);

  peer_term_ = 4;
  peer_says(role::passive);  // the peer is back, passive
  EXPECT_EQ(d.current_role(), role::active);
  peer_says(role::passive, 0, {true, true, /*want_active=*/true, false});
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));
  const auto told = last_sent();  // sent at once, not at the next tick
  EXPECT_EQ(told.sender_role, role::passive);
  EXPECT_TRUE(told.health.yield);
  const auto announced = world_.link->gratuitous_for(vip);
  peer_term_ = 5;
  peer_runs(role::active, 1500ms);  // the peer took over
  // The second burst of our takeover was cancelled with the release.
  EXPECT_EQ(world_.link->gratuitous_for(vip), announced);
  EXPECT_EQ(d.current_role(), role::passive);
}

TEST_F(daemon_test, make_passive_hands_over_to_a_live_peer) {
  auto& d = start(inputs());
  become_active(d);
  peer_term_ = 4;
  peer_says(role::passive);
  auto r = d.make_passive();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));
  EXPECT_TRUE(last_sent().health.yield);
}

TEST_F(daemon_test, a_planned_stop_of_the_active_node_waits_until_the_peer_is_active) {
  auto& d = start(inputs());
  become_active(d);
  peer_term_ = 4;
  peer_says(role::passive);
  bool done = false;
  d.hand_over_then(2000ms, [&] { done = true; });
  // Released and told at once; still heartbeating while the peer takes over.
  EXPECT_FALSE(done);
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));
  EXPECT_TRUE(last_sent().health.yield);
  peer_says(role::passive);
  advance(100ms);
  EXPECT_FALSE(done) << "the peer is not active yet";
  peer_term_ = 5;
  peer_says(role::active);
  advance(100ms);
  EXPECT_TRUE(done);
}

TEST_F(daemon_test, a_planned_stop_gives_up_waiting_at_its_limit_and_needs_no_peer_when_passive) {
  auto& d = start(inputs());
  become_active(d);
  peer_term_ = 4;
  peer_says(role::passive);
  bool done = false;
  d.hand_over_then(500ms, [&] { done = true; });
  EXPECT_FALSE(world_.addresses->has(vip));
  for (int i = 0; i < 4 && !done; ++i) {
    peer_says(role::passive);  // alive, but never takes over
    advance(100ms);
  }
  EXPECT_FALSE(done);
  peer_says(role::passive);
  advance(200ms);
  EXPECT_TRUE(done) << "the limit passed";
  // Now passive: a stop has nothing to hand over.
  bool again = false;
  d.hand_over_then(2000ms, [&] { again = true; });
  EXPECT_TRUE(again);
}

TEST_F(daemon_test, a_planned_stop_without_a_live_peer_keeps_todays_behaviour) {
  auto& d = start(inputs());
  become_active(d);  // the peer is silent
  bool done = false;
  d.hand_over_then(2000ms, [&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(d.current_role(), role::active) << "no one to take over: stop() releases";
}

TEST_F(daemon_test, reload_while_active_moves_the_vips_and_announces_the_new_one) {
  auto& d = start(inputs());
  EXPECT_EQ(world_.link->filtered_vips, std::vector<ip_address>{asio::ip::make_address(vip)});
  become_active(d);
  ASSERT_TRUE(world_.addresses->has(vip));
  auto in = inputs();
  in.cluster = cluster_with({vip2});
  in.cluster.set_generation(2);
  auto r = d.reload(std::move(in));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r.value(), "reloaded: generation 2, 1 VIP(s)");
  // The socket filters follow: ARP about the dropped VIP no longer reaches us.
  EXPECT_EQ(world_.link->filtered_vips, std::vector<ip_address>{asio::ip::make_address(vip2)});
  EXPECT_FALSE(world_.addresses->has(vip));
  EXPECT_TRUE(world_.addresses->has(vip2));
  EXPECT_EQ(world_.link->gratuitous_for(vip2), 1);
  advance(20ms);
  EXPECT_EQ(world_.link->gratuitous_for(vip2), 3);
  EXPECT_EQ(d.status().config_generation(), 2u);
  EXPECT_EQ(last_sent().generation, 2u);
  EXPECT_EQ(d.current_role(), role::active);

  auto moved = inputs(2);  // a second path: only a restart applies it
  auto refused = d.reload(std::move(moved));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::restart_required);
}

TEST_F(daemon_test, reload_while_active_leaves_the_vips_it_keeps_alone) {
  auto& d = start(inputs());
  become_active(d);
  const int adds = world_.addresses->adds;
  const int removes = world_.addresses->removes;  // start() clears leftovers
  auto in = inputs();
  in.cluster = cluster_with({vip, vip2});
  in.cluster.set_generation(2);
  ASSERT_TRUE(d.reload(std::move(in)));
  EXPECT_EQ(world_.addresses->adds, adds + 1);  // vip2 only
  EXPECT_EQ(world_.addresses->removes, removes);
  EXPECT_TRUE(world_.addresses->has(vip));
  EXPECT_TRUE(world_.addresses->has(vip2));
  auto same = inputs();
  same.cluster = cluster_with({vip, vip2});
  same.cluster.set_generation(3);
  ASSERT_TRUE(d.reload(std::move(same)));
  EXPECT_EQ(world_.addresses->adds, adds + 1);
  EXPECT_EQ(world_.addresses->removes, removes);
}

// A secondary waiting to be paired runs standalone and, after initdead,
// active with no VIP. The pairing reload brings the keys and the primary's
// VIPs at once: it must not add them (the primary holds them) but start over
// in init and hear the peer first.
TEST_F(daemon_test, pairing_a_lone_active_node_without_vips_restarts_it_in_init) {
  auto lone = inputs();
  lone.keys = keyring{};
  lone.cluster = cluster_with({});
  auto& d = start(std::move(lone));
  advance(3100ms);
  ASSERT_EQ(d.current_role(), role::active);
  ASSERT_TRUE(world_.addresses->present.empty());
  auto paired = inputs();
  paired.cluster.set_generation(2);
  ASSERT_TRUE(d.reload(std::move(paired)));
  EXPECT_EQ(d.current_role(), role::init);
  EXPECT_TRUE(world_.addresses->present.empty());
  peer_runs(role::active, 300ms);
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_TRUE(world_.addresses->present.empty());
}

TEST_F(daemon_test, reload_while_passive_installs_nothing) {
  auto& d = start(inputs());
  peer_runs(role::active, 300ms);
  auto in = inputs();
  in.cluster = cluster_with({vip, vip2});
  ASSERT_TRUE(d.reload(std::move(in)));
  EXPECT_TRUE(world_.addresses->present.empty());
  EXPECT_EQ(world_.link->gratuitous_for(vip2), 0);
  EXPECT_EQ(d.status().vips_size(), 2);
}

TEST_F(daemon_test, a_defended_probe_keeps_us_passive_and_is_retried_a_deadtime_later) {
  auto& d = start(inputs());
  peer_runs(role::active, 300ms);
  advance(868ms);  // the early probe is out
  ASSERT_EQ(world_.link->probes_for(vip), 1);
  // The peer's heartbeatd answers: it holds the VIP, only the heartbeat path is broken.
  world_.link->receive(gratuitous(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}, false));
  advance(1000ms);
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));
  EXPECT_TRUE(d.status().peer_holds_vips_on_lan());
  const auto probes = world_.link->probes_for(vip);
  advance(1000ms);  // nobody defends this time: take over
  EXPECT_GT(world_.link->probes_for(vip), probes);
  EXPECT_EQ(d.current_role(), role::active);
}

TEST_F(daemon_test, while_active_it_defends_probes_and_an_announcement_from_another_mac_is_a_conflict) {
  auto& d = start(inputs());
  become_active(d);
  const auto before = world_.link->gratuitous_for(vip);
  world_.link->receive(probe(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(world_.link->gratuitous_for(vip), before + 1);  // the defence
  EXPECT_EQ(d.current_role(), role::active);

  // Another MAC claims the VIP while the peer is silent: an unauthenticated claim, so we
  // announce again and stay (issue 14: a forged GARP must not empty a lone active node).
  world_.link->receive(gratuitous(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}, false));
  EXPECT_EQ(d.status().conflicts(), 1u);
  EXPECT_EQ(d.status().link_dropped().at("unproven_conflicts"), 1u);
  EXPECT_EQ(d.current_role(), role::active);
  EXPECT_TRUE(world_.addresses->has(vip));
  EXPECT_GT(world_.link->gratuitous_for(vip), before + 1);
  for (int i = 0; i < 50; ++i) {  // a flood of forged claims changes nothing
    world_.link->receive(gratuitous(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}, false));
    advance(20ms);
  }
  EXPECT_EQ(d.current_role(), role::active);
  EXPECT_TRUE(world_.addresses->has(vip));
  EXPECT_EQ(d.status().link_dropped().at("unproven_conflicts"), 51u);

  // The peer is back as active with a higher term: it took over behind a broken path.
  peer_term_ = 9;
  peer_says(role::active);
  world_.link->receive(gratuitous(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}, false));
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_FALSE(world_.addresses->has(vip));
}

TEST_F(daemon_test, a_flood_of_probes_gets_one_defence_per_vip_per_defend_spacing) {
  auto& d = start(inputs());
  become_active(d);
  advance(2000ms);  // the takeover's bursts are over
  const auto before = world_.link->gratuitous_for(vip);
  for (int i = 0; i < 100; ++i)
    world_.link->receive(probe(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(world_.link->gratuitous_for(vip), before + 1);
  advance(defend_spacing);
  for (int i = 0; i < 100; ++i)
    world_.link->receive(probe(asio::ip::make_address_v4(vip), {2, 0, 0, 0, 0, 2}));
  EXPECT_EQ(world_.link->gratuitous_for(vip), before + 2);
  EXPECT_EQ(d.current_role(), role::active);
}

TEST_F(daemon_test, losing_one_of_two_paths_keeps_the_peer_alive_and_status_shows_the_path_down) {
  auto& d = start(inputs(2));
  peer_runs(role::active, 500ms, {0, 1});
  ASSERT_EQ(d.current_role(), role::passive);
  auto st = d.status();
  ASSERT_EQ(st.paths_size(), 2);
  EXPECT_TRUE(st.paths(0).alive());
  EXPECT_TRUE(st.paths(1).alive());

  peer_runs(role::active, 3000ms, {1});  // path 0 is cut
  EXPECT_EQ(d.current_role(), role::passive);
  EXPECT_EQ(world_.link->probes_for(vip), 0);
  st = d.status();
  EXPECT_TRUE(st.peer_alive());
  EXPECT_FALSE(st.paths(0).alive());
  EXPECT_GE(st.paths(0).last_heard_ms(), 3000);
  EXPECT_TRUE(st.paths(1).alive());
  EXPECT_EQ(st.paths(0).address(), "192.0.2.12");

  peer_runs(role::active, 200ms, {0, 1});  // healed
  st = d.status();
  EXPECT_TRUE(st.paths(0).alive());
  EXPECT_EQ(st.takeovers(), 0u);
}

TEST_F(daemon_test, each_path_sends_from_its_own_socket_to_its_own_peer) {
  start(inputs(2));
  advance(300ms);
  auto* a = world_.port("192.0.2.11");
  auto* b = world_.port("198.51.100.11");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_FALSE(a->sent.empty());
  EXPECT_EQ(a->sent.size(), b->sent.size());
  for (const auto& [bytes, to] : a->sent) EXPECT_EQ(to.address().to_string(), "192.0.2.12");
  for (const auto& [bytes, to] : b->sent) EXPECT_EQ(to.address().to_string(), "198.51.100.12");
  EXPECT_EQ(daemon_->status().sent(), a->sent.size() + b->sent.size());
  // Each datagram has its own sequence number: the peer's anti-replay accepts both paths.
  const auto first = decode(a->sent.back().first, test_cluster, test_keys());
  const auto second = decode(b->sent.back().first, test_cluster, test_keys());
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second.value().sequence, first.value().sequence + 1);
}

TEST_F(daemon_test, proxy_readiness_travels_in_our_heartbeats) {
  world_.proxy_ready = false;
  auto& d = start(inputs());
  advance(100ms);
  EXPECT_FALSE(last_sent().health.proxy_ready);
  world_.readiness->set(true);
  EXPECT_TRUE(last_sent().health.proxy_ready);  // sent at once
  EXPECT_TRUE(d.status().proxy_ready());
}

TEST_F(daemon_test, heartbeats_from_an_unknown_address_are_counted_not_used) {
  auto& d = start(inputs());
  peer_says(role::active);
  auto* port = world_.port("192.0.2.11");
  message m;
  m.sender_role = role::active;
  m.priority = 100;
  m.cluster = test_cluster;
  m.node_id = 2;
  m.sequence = 5000;
  m.timestamp_ms = last_sent().timestamp_ms;
  port->on_datagram(encode(m, test_keys().signing_key()), {asio::ip::make_address("192.0.2.99"), 6694});
  EXPECT_EQ(d.status().dropped().at("unknown_source"), 1u);
  EXPECT_EQ(d.status().received(), 1u);
}

TEST_F(daemon_test, stop_releases_the_vips_and_cancels_every_timer) {
  auto& d = start(inputs());
  become_active(d);
  d.stop();
  EXPECT_FALSE(world_.addresses->has(vip));
  EXPECT_EQ(world_.timers->pending(), 0u);
  EXPECT_TRUE(world_.link->closed);
  EXPECT_TRUE(d.board().closed());
}

}  // namespace
}  // namespace lbha::heartbeat
