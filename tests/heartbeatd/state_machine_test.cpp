#include "heartbeatd/state_machine.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>

#include "heartbeatd/ping_tracker.hpp"

namespace lbha::heartbeat {
namespace {

using namespace std::chrono_literals;

// A simulated pair: two state machines on one manual clock, a heartbeat path in
// each direction, and a layer-2 segment on which ARP probes and announcements
// travel. Actions are executed the way the daemon does, with zero latency.
struct sim_node {
  settings cfg;
  std::unique_ptr<state_machine> sm;
  bool up = false;
  bool has_vips = false;
  std::uint64_t persisted_term = 0;
  int announces = 0;
  int probes = 0;
  bool probe_pending = false;
  std::vector<role> notified;
  std::vector<action> log;
  clock::time_point next_send{};
  std::uint64_t sequence = 1;
};

class pair_sim {
 public:
  manual_clock clock;
  sim_node a, b;
  bool a_to_b = true;  // heartbeats from a reach b
  bool b_to_a = true;
  bool layer2 = true;  // ARP between the nodes (clients always see both)
  int max_owners = 0;  // most nodes holding the VIPs at any one moment
  // Called before a node adds the VIPs: checks ordering (the other released first).
  std::function<void(const sim_node& self, const sim_node& other)> on_add_vips;

  pair_sim() {
    a.cfg.node_id = 1;
    a.cfg.priority = 100;
    b.cfg.node_id = 2;
    b.cfg.priority = 100;
  }

  sim_node& other(sim_node& n) { return &n == &a ? b : a; }

  void start(sim_node& n) {
    n.sm = std::make_unique<state_machine>(clock, n.cfg, n.persisted_term);
    n.up = true;
    n.next_send = clock.now();
    apply(n, n.sm->start());
    drain();
  }

  void crash(sim_node& n) {
    n.up = false;  // the process is gone; the VIPs it held stay until it restarts
  }

  void step(clock::duration dt = 5ms) {
    clock.advance(dt);
    for (sim_node* n : {&a, &b}) {
      if (!n->up) continue;
      if (clock.now() >= n->next_send) {
        send(*n);
        n->next_send = clock.now() + n->cfg.interval;
      }
      apply(*n, n->sm->tick());
      if (n->probe_pending) {
        n->probe_pending = false;
        sim_node& o = other(*n);
        // Only a live heartbeatd defends its VIPs against a probe; a crashed one's kernel
        // still answers, but that unicast reply does not count (see arp.hpp).
        apply(*n, n->sm->on_probe_result(layer2 && o.up && o.has_vips));
      }
    }
    drain();
  }

  void run_for(clock::duration d, clock::duration dt = 5ms) {
    for (auto end = clock.now() + d; clock.now() < end;) step(dt);
  }

  // Steps until `pred` holds; returns the time it took, or fails the test.
  clock::duration run_until(const std::function<bool()>& pred, clock::duration limit = 10s) {
    const auto begin = clock.now();
    while (!pred()) {
      if (clock.now() - begin > limit) {
        ADD_FAILURE() << "condition not reached within limit";
        break;
      }
      step();
    }
    return clock.now() - begin;
  }

  role role_of(const sim_node& n) const { return n.sm->current_role(); }
  int owners() const {
    return int(a.has_vips && a.up) + int(b.has_vips && b.up) + int(a.has_vips && !a.up) +
           int(b.has_vips && !b.up);
  }

  void apply(sim_node& n, const actions& acts) {
    for (const auto& act : acts) {
      n.log.push_back(act);
      switch (act.kind) {
        case action_kind::persist_term:
          n.persisted_term = act.term;
          break;
        case action_kind::add_vips:
          if (on_add_vips) on_add_vips(n, other(n));
          n.has_vips = true;
          break;
        case action_kind::remove_vips:
          n.has_vips = false;
          break;
        case action_kind::announce: {
          ++n.announces;
          sim_node& o = other(n);
          if (layer2 && o.up) pending_conflicts_.push_back(&o);
          break;
        }
        case action_kind::probe_vips:
          ++n.probes;
          n.probe_pending = true;
          break;
        case action_kind::notify:
          n.notified.push_back(act.new_role);
          break;
        case action_kind::send_now:
          pending_sends_.push_back(&n);
          break;
        case action_kind::warn_late:
          break;
      }
      max_owners = std::max(max_owners, int(a.has_vips) + int(b.has_vips));
    }
  }

  message heartbeat_of(sim_node& n) {
    message m;
    m.sender_role = n.sm->current_role();
    m.priority = n.sm->priority();
    m.health = n.sm->own_flags();
    m.node_id = n.cfg.node_id;
    m.term = n.sm->term();
    m.sequence = n.sequence++;
    return m;
  }

  void send(sim_node& from) {
    sim_node& to = other(from);
    const bool path = &from == &a ? a_to_b : b_to_a;
    auto m = heartbeat_of(from);
    if (path && to.up) apply(to, to.sm->on_heartbeat(0, m));
  }

  void drain() {
    for (int guard = 0; guard < 1000 && (!pending_sends_.empty() || !pending_conflicts_.empty());
         ++guard) {
      if (!pending_sends_.empty()) {
        sim_node* n = pending_sends_.front();
        pending_sends_.pop_front();
        if (n->up) send(*n);
        continue;
      }
      sim_node* n = pending_conflicts_.front();
      pending_conflicts_.pop_front();
      // The announcement only conflicts when the receiver holds the same VIPs.
      if (n->up && n->has_vips) apply(*n, n->sm->on_conflict());
    }
  }

  // Both started, a settled as active and b as passive.
  void settle_a_active() {
    a.cfg.priority = 200;
    start(a);
    start(b);
    run_until([&] { return role_of(a) == role::active && role_of(b) == role::passive; });
    run_for(500ms);
  }

 private:
  std::deque<sim_node*> pending_sends_;
  std::deque<sim_node*> pending_conflicts_;
};

int count(const std::vector<action>& log, action_kind k) {
  return int(std::count_if(log.begin(), log.end(), [k](const action& a) { return a.kind == k; }));
}

TEST(state_machine, simultaneous_start_elects_exactly_one_by_priority_without_waiting_initdead) {
  pair_sim s;
  s.b.cfg.priority = 150;
  s.start(s.a);
  s.start(s.b);
  auto took = s.run_until([&] { return s.role_of(s.b) == role::active; });
  EXPECT_LT(took, 500ms);  // heartbeats were heard: no initdead wait
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.max_owners, 1);
  EXPECT_EQ(s.b.persisted_term, 1u);
  EXPECT_EQ(s.a.sm->takeovers(), 0u);
}

TEST(state_machine, simultaneous_start_with_equal_priority_elects_the_lower_node_id) {
  pair_sim s;
  s.a.cfg.node_id = 9;
  s.b.cfg.node_id = 4;
  s.start(s.b);
  s.start(s.a);
  s.run_for(3s);
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_EQ(s.max_owners, 1);
}

TEST(state_machine, simultaneous_start_prefers_the_higher_persisted_term) {
  pair_sim s;
  s.a.persisted_term = 7;  // a was the last active node before both restarted
  s.b.persisted_term = 6;
  s.b.cfg.priority = 250;
  s.start(s.a);
  s.start(s.b);
  s.run_for(2s);
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_EQ(s.a.persisted_term, 8u);
}

TEST(state_machine, start_removes_leftover_vips_first) {
  manual_clock clock;
  state_machine sm(clock, settings{}, 0);
  auto acts = sm.start();
  ASSERT_FALSE(acts.empty());
  EXPECT_EQ(acts.front().kind, action_kind::remove_vips);
  EXPECT_EQ(sm.current_role(), role::init);
}

TEST(state_machine, alone_it_waits_initdead_then_probes_then_takes_over) {
  pair_sim s;
  s.start(s.a);
  s.run_for(2900ms);
  EXPECT_EQ(s.role_of(s.a), role::init);
  EXPECT_EQ(s.a.probes, 0);
  s.run_for(200ms);
  EXPECT_EQ(s.a.probes, 1);
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_TRUE(s.a.has_vips);
  EXPECT_EQ(s.a.persisted_term, 1u);
  // notify: passive (after init), then active.
  EXPECT_EQ(s.a.notified, (std::vector<role>{role::passive, role::active}));
  EXPECT_FALSE(s.a.sm->last_takeover_outage()) << "no peer was ever heard: no outage to report";
}

TEST(state_machine, takeover_runs_persist_add_announce_in_that_order) {
  manual_clock clock;
  settings cfg;
  cfg.arp_probe = false;
  state_machine sm(clock, cfg, 41);
  sm.start();
  clock.advance(cfg.initdead);
  auto acts = sm.tick();
  std::vector<action_kind> kinds;
  for (auto& a : acts) kinds.push_back(a.kind);
  auto at = [&](action_kind k) { return std::find(kinds.begin(), kinds.end(), k) - kinds.begin(); };
  ASSERT_LT(at(action_kind::persist_term), std::ptrdiff_t(kinds.size()));
  EXPECT_LT(at(action_kind::persist_term), at(action_kind::add_vips));
  EXPECT_LT(at(action_kind::add_vips), at(action_kind::announce));
  EXPECT_EQ(acts[at(action_kind::persist_term)].term, 42u);
  EXPECT_EQ(sm.current_role(), role::active);
}

TEST(state_machine, peer_death_takeover_after_deadtime_with_incremented_term) {
  pair_sim s;
  s.settle_a_active();
  const auto term = s.a.sm->term();
  s.crash(s.a);
  auto took = s.run_until([&] { return s.role_of(s.b) == role::active; });
  EXPECT_GE(took, 900ms);  // last heartbeat up to one interval before the crash
  EXPECT_LE(took, 1000ms + 2 * 5ms);
  EXPECT_EQ(s.b.sm->term(), term + 1);
  EXPECT_EQ(s.b.persisted_term, term + 1);
  EXPECT_EQ(s.b.probes, 1);
  // The outage it reports: from the last heartbeat it heard from a to its takeover.
  ASSERT_TRUE(s.b.sm->last_takeover_outage());
  EXPECT_GE(*s.b.sm->last_takeover_outage(), 1000ms);  // at least the deadtime
  // took counts from the crash; a's last heartbeat went up to one interval before it.
  EXPECT_GE(*s.b.sm->last_takeover_outage(), took);
  EXPECT_LE(*s.b.sm->last_takeover_outage(), took + 100ms + 5ms);
}

TEST(state_machine, quick_restart_of_the_active_node_ends_with_one_owner) {
  pair_sim s;
  s.settle_a_active();
  s.crash(s.a);
  s.run_for(200ms);
  s.start(s.a);  // restart: removes its stale VIPs, comes back in init
  EXPECT_FALSE(s.a.has_vips);
  s.run_for(5s);
  EXPECT_EQ(int(s.role_of(s.a) == role::active) + int(s.role_of(s.b) == role::active), 1);
  EXPECT_EQ(int(s.a.has_vips) + int(s.b.has_vips), 1);
}

TEST(state_machine, restart_after_failover_does_not_fail_back) {
  pair_sim s;
  s.settle_a_active();
  s.crash(s.a);
  s.run_until([&] { return s.role_of(s.b) == role::active; });
  s.start(s.a);
  EXPECT_FALSE(s.a.has_vips);  // stale VIPs removed on start
  s.run_for(10s);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_FALSE(s.a.has_vips);
}

TEST(state_machine, auto_failback_returns_to_the_higher_priority_node_without_dual_ownership) {
  pair_sim s;
  s.a.cfg.auto_failback = true;
  s.b.cfg.auto_failback = true;
  s.settle_a_active();
  s.crash(s.a);
  s.run_until([&] { return s.role_of(s.b) == role::active; });
  s.max_owners = 0;
  s.a.has_vips = false;
  s.on_add_vips = [](const sim_node& self, const sim_node& other) {
    EXPECT_FALSE(other.has_vips) << "node " << self.cfg.node_id << " added before release";
  };
  s.start(s.a);
  s.run_until([&] { return s.role_of(s.a) == role::active; });
  s.run_for(3s);
  EXPECT_EQ(s.role_of(s.b), role::passive);
  EXPECT_EQ(s.max_owners, 1);
}

TEST(state_machine, one_way_loss_with_probe_keeps_the_passive_node_passive) {
  pair_sim s;
  s.settle_a_active();
  s.a_to_b = false;  // b no longer hears a, a still hears b
  s.run_for(10s);
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_EQ(s.role_of(s.b), role::passive);
  EXPECT_TRUE(s.b.sm->peer_holds_vips_on_lan());
  EXPECT_GE(s.b.probes, 5);  // retried every deadtime, so a real death is still caught
  EXPECT_EQ(s.max_owners, 1);
  // Now a really dies: the next probe finds the VIPs free.
  s.crash(s.a);
  s.a.has_vips = false;  // its interface went away with it
  s.run_until([&] { return s.role_of(s.b) == role::active; }, 3s);
}

TEST(state_machine, one_way_loss_without_probe_resolves_to_one_owner) {
  pair_sim s;
  s.a.cfg.arp_probe = false;
  s.b.cfg.arp_probe = false;
  s.settle_a_active();
  s.a_to_b = false;
  s.run_until([&] { return s.role_of(s.b) == role::active; });
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.a), role::passive);  // a hears b's higher term and releases
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_FALSE(s.a.has_vips);
}

TEST(state_machine, one_way_loss_towards_the_active_node_changes_nothing) {
  pair_sim s;
  s.a.cfg.arp_probe = false;
  s.b.cfg.arp_probe = false;
  s.settle_a_active();
  s.b_to_a = false;  // a no longer hears b; b still hears a
  s.run_for(3s);
  // a sees b dead but is active already; b hears an active peer: nothing changes.
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_EQ(s.role_of(s.b), role::passive);
  EXPECT_EQ(s.max_owners, 1);
}

TEST(state_machine, heal_after_partition_loser_releases_first_then_winner_reannounces) {
  pair_sim s;
  s.settle_a_active();
  s.a_to_b = s.b_to_a = false;
  s.layer2 = false;  // full partition between the nodes; clients still see both
  s.run_until([&] { return s.role_of(s.b) == role::active; });
  EXPECT_EQ(s.role_of(s.a), role::active);  // dual active during the partition
  const int b_announces = s.b.announces;
  bool loser_released_before_reannounce = false;
  s.a_to_b = s.b_to_a = true;
  s.layer2 = true;
  for (int i = 0; i < 400 && s.b.announces == b_announces; ++i) {
    s.step();
    if (s.b.announces > b_announces) loser_released_before_reannounce = !s.a.has_vips;
  }
  EXPECT_GT(s.b.announces, b_announces);  // the winner re-announced though its role did not change
  EXPECT_TRUE(loser_released_before_reannounce);
  s.run_for(3s);
  EXPECT_EQ(s.role_of(s.a), role::passive);  // lower term loses
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_TRUE(s.b.has_vips);
  EXPECT_FALSE(s.a.has_vips);
}

TEST(state_machine, layer2_heals_before_heartbeats_and_the_higher_term_keeps_the_vips) {
  pair_sim s;
  s.settle_a_active();
  s.a_to_b = s.b_to_a = false;
  s.layer2 = false;
  s.run_until([&] { return s.role_of(s.b) == role::active; });
  ASSERT_GT(s.b.sm->term(), s.a.sm->term());
  // ARP crosses again while heartbeats are still cut: each sees the other's announcement,
  // an unauthenticated claim. Neither yields to it, and they do not answer each other in
  // a storm: one re-announcement each per deadtime.
  s.layer2 = true;
  const int a_announces = s.a.announces, b_announces = s.b.announces;
  s.apply(s.a, {{action_kind::announce}});
  s.drain();
  EXPECT_TRUE(s.b.has_vips) << "the newer owner must not yield to the stale one";
  EXPECT_TRUE(s.a.has_vips) << "an ARP alone is no evidence";
  EXPECT_LE(s.a.announces - a_announces, 2);
  EXPECT_LE(s.b.announces - b_announces, 1);
  EXPECT_GE(s.a.sm->conflicts() + s.b.sm->conflicts(), 2u);
  // Heartbeats cross again: rule 3, on authenticated terms, settles it.
  s.a_to_b = s.b_to_a = true;
  s.run_for(3s);
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_TRUE(s.b.has_vips);
  EXPECT_FALSE(s.a.has_vips);
}

TEST(state_machine, dual_active_resolution_order_term_priority_node_id) {
  manual_clock clock;
  settings cfg;
  cfg.node_id = 5;
  cfg.priority = 100;
  cfg.arp_probe = false;
  auto active_machine = [&](std::uint64_t term) {
    auto sm = std::make_unique<state_machine>(clock, cfg, term - 1);
    sm->start();
    sm->make_active(true);
    EXPECT_EQ(sm->current_role(), role::active);
    EXPECT_EQ(sm->term(), term);
    return sm;
  };
  auto peer = [&](std::uint64_t term, std::uint8_t prio, std::uint32_t node) {
    message m;
    m.sender_role = role::active;
    m.term = term;
    m.priority = prio;
    m.node_id = node;
    return m;
  };
  struct {
    std::uint64_t term;
    std::uint8_t prio;
    std::uint32_t node;
    bool we_keep;
  } cases[] = {
      {9, 1, 1, false},                        // higher peer term wins whatever the priority
      {7, 255, 1, true},                       // lower peer term loses
      {8, 101, 9, false},                      // same term: higher priority wins
      {8, 99, 1, true},   {8, 100, 4, false},  // same term and priority: lower node id wins
      {8, 100, 6, true},
  };
  for (const auto& c : cases) {
    auto sm = active_machine(8);
    auto acts = sm->on_heartbeat(0, peer(c.term, c.prio, c.node));
    EXPECT_EQ(sm->current_role() == role::active, c.we_keep)
        << "peer term " << c.term << " prio " << int(c.prio) << " node " << c.node;
    EXPECT_EQ(count(acts, action_kind::remove_vips), c.we_keep ? 0 : 1);
  }
}

TEST(state_machine, isolated_active_hands_over_when_the_peer_reaches_its_ping_node) {
  pair_sim s;
  s.a.cfg.has_ping_nodes = s.b.cfg.has_ping_nodes = true;
  s.a.cfg.priority = 200;
  s.start(s.a);
  s.start(s.b);
  s.apply(s.a, s.a.sm->on_ping(true));
  s.apply(s.b, s.b.sm->on_ping(true));
  s.drain();
  s.run_until([&] { return s.role_of(s.a) == role::active; });
  s.run_for(500ms);
  s.on_add_vips = [](const sim_node&, const sim_node& other) { EXPECT_FALSE(other.has_vips); };
  s.apply(s.a, s.a.sm->on_ping(false));
  s.drain();
  s.run_until([&] { return s.role_of(s.b) == role::active; }, 100ms);
  EXPECT_EQ(s.role_of(s.a), role::fault);
  EXPECT_EQ(s.a.notified.back(), role::fault);
  // Its ping node comes back: passive, no failback.
  s.apply(s.a, s.a.sm->on_ping(true));
  s.drain();
  s.run_for(2s);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_EQ(s.role_of(s.b), role::active);
}

TEST(state_machine, isolated_passive_does_not_take_over_a_dead_peer) {
  pair_sim s;
  s.a.cfg.has_ping_nodes = s.b.cfg.has_ping_nodes = true;
  s.a.cfg.priority = 200;
  s.start(s.a);
  s.start(s.b);
  EXPECT_EQ(s.role_of(s.a), role::fault);  // ping nodes not confirmed yet
  s.apply(s.a, s.a.sm->on_ping(true));
  s.apply(s.b, s.b.sm->on_ping(true));
  s.drain();
  s.run_until([&] { return s.role_of(s.a) == role::active; });
  s.apply(s.b, s.b.sm->on_ping(false));
  s.drain();
  EXPECT_EQ(s.role_of(s.b), role::fault);
  s.crash(s.a);
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.b), role::fault);
  EXPECT_EQ(s.b.probes, 0);
  s.apply(s.b, s.b.sm->on_ping(true));  // its network is back: now it takes over
  s.drain();
  s.run_until([&] { return s.role_of(s.b) == role::active; }, 100ms);
}

TEST(state_machine, flapping_ping_node_through_hysteresis_changes_no_role) {
  pair_sim s;
  s.a.cfg.has_ping_nodes = s.b.cfg.has_ping_nodes = true;
  s.a.cfg.priority = 200;
  ping_tracker ta, tb;
  s.start(s.a);
  s.start(s.b);
  for (int i = 0; i < 3; ++i) {
    if (auto v = ta.record(true)) s.apply(s.a, s.a.sm->on_ping(*v));
    if (auto v = tb.record(true)) s.apply(s.b, s.b.sm->on_ping(*v));
    s.drain();
    s.run_for(200ms);
  }
  s.run_until([&] { return s.role_of(s.a) == role::active; });
  s.run_for(500ms);
  const auto takeovers = s.a.sm->takeovers() + s.b.sm->takeovers();
  // a's ping node answers every other round (and twice in a row now and then) for a minute.
  for (int round = 0; round < 300; ++round) {
    const bool ok = round % 2 == 0 || round % 7 == 0;
    if (auto v = ta.record(ok)) s.apply(s.a, s.a.sm->on_ping(*v));
    if (auto v = tb.record(true)) s.apply(s.b, s.b.sm->on_ping(*v));
    s.drain();
    s.run_for(200ms);
  }
  EXPECT_EQ(s.a.sm->takeovers() + s.b.sm->takeovers(), takeovers);
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_EQ(s.role_of(s.b), role::passive);
}

TEST(state_machine, ping_tracker_hysteresis) {
  ping_tracker t(2, 3);
  EXPECT_EQ(t.record(true), std::nullopt);
  EXPECT_EQ(t.record(true), std::optional<bool>(true));
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.record(true), std::nullopt);  // a good round resets the failure count
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.record(false), std::nullopt);
  EXPECT_EQ(t.record(false), std::optional<bool>(false));
  EXPECT_FALSE(t.reachable());
}

TEST(state_machine, active_with_proxy_not_ready_hands_over_to_a_ready_peer) {
  pair_sim s;
  s.settle_a_active();
  s.on_add_vips = [](const sim_node&, const sim_node& other) { EXPECT_FALSE(other.has_vips); };
  s.apply(s.b, s.b.sm->on_proxy_ready(true));
  s.drain();
  s.run_until([&] { return s.role_of(s.b) == role::active; }, 300ms);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  // a's proxy becomes ready too: no failback.
  s.apply(s.a, s.a.sm->on_proxy_ready(true));
  s.drain();
  s.run_for(3s);
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.max_owners, 1);
}

TEST(state_machine, neither_proxy_ready_keeps_the_active_node) {
  pair_sim s;
  s.settle_a_active();
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.a), role::active);
  EXPECT_EQ(s.a.sm->takeovers() + s.b.sm->takeovers(), 1u);
}

TEST(state_machine, make_active_is_coordinated_peer_releases_first) {
  pair_sim s;
  s.settle_a_active();
  s.on_add_vips = [](const sim_node&, const sim_node& other) { EXPECT_FALSE(other.has_vips); };
  s.apply(s.b, s.b.sm->make_active(false));
  s.drain();  // zero-latency network: the whole exchange completes here
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  EXPECT_EQ(s.max_owners, 1);
  EXPECT_EQ(count(s.b.log, action_kind::probe_vips), 0);  // the peer confirmed its release
  // A planned handover: b took over on a's release heartbeat, at once.
  ASSERT_TRUE(s.b.sm->last_takeover_outage());
  EXPECT_EQ(*s.b.sm->last_takeover_outage(), 0ms);
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.b), role::active);  // a does not take it back
  EXPECT_FALSE(s.b.sm->want_active());
}

TEST(state_machine, make_active_without_force_gives_up_when_the_peer_never_releases) {
  manual_clock clock;
  settings cfg;
  cfg.node_id = 2;
  state_machine sm(clock, cfg, 0);
  sm.start();
  message peer;
  peer.node_id = 1;
  peer.sender_role = role::active;
  sm.on_heartbeat(0, peer);
  sm.make_active(false);
  EXPECT_TRUE(sm.own_flags().want_active);
  for (int i = 0; i < 25; ++i) {
    clock.advance(100ms);
    sm.on_heartbeat(0, peer);  // an old peer that ignores the request
    sm.tick();
  }
  EXPECT_FALSE(sm.want_active());
  EXPECT_EQ(sm.current_role(), role::passive);
}

TEST(state_machine, make_active_force_takes_over_at_once_without_probe) {
  pair_sim s;
  s.settle_a_active();
  s.a_to_b = s.b_to_a = false;
  s.layer2 = false;
  s.run_for(300ms);
  s.apply(s.b, s.b.sm->make_active(true));
  s.drain();
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.b.probes, 0);
}

TEST(state_machine, make_passive_hands_over_and_is_refused_without_a_live_peer) {
  pair_sim s;
  s.settle_a_active();
  actions acts;
  ASSERT_TRUE(s.a.sm->make_passive(acts));
  s.apply(s.a, acts);
  s.drain();
  EXPECT_EQ(s.role_of(s.b), role::active);
  EXPECT_EQ(s.role_of(s.a), role::passive);
  s.run_for(5s);
  EXPECT_EQ(s.role_of(s.b), role::active);
  s.crash(s.a);
  s.run_for(2s);
  actions none;
  EXPECT_FALSE(s.b.sm->make_passive(none));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(s.role_of(s.b), role::active);
}

TEST(state_machine, a_forged_conflict_at_a_lone_active_node_keeps_the_vips) {
  // Issue 14: a GARP for a VIP from another MAC is unauthenticated. With the peer silent
  // (or never heard), it is counted and answered by re-announcing, never by releasing.
  manual_clock clock;
  settings cfg;
  state_machine sm(clock, cfg, 3);
  sm.start();
  sm.make_active(true);
  ASSERT_EQ(sm.current_role(), role::active);
  auto acts = sm.on_conflict();
  EXPECT_EQ(sm.current_role(), role::active);
  EXPECT_EQ(count(acts, action_kind::remove_vips), 0);
  EXPECT_EQ(count(acts, action_kind::announce), 1);
  EXPECT_EQ(sm.conflicts(), 1u);
  EXPECT_EQ(sm.unproven_conflicts(), 1u);
  // A flood of forged claims: still active, one re-announcement per deadtime.
  int announces = 0;
  for (int i = 0; i < 100; ++i) {
    clock.advance(50ms);
    acts = sm.on_conflict();
    EXPECT_EQ(count(acts, action_kind::remove_vips), 0);
    announces += count(acts, action_kind::announce);
    sm.tick();
  }
  EXPECT_EQ(sm.current_role(), role::active);
  EXPECT_EQ(announces, 5);  // 5 s of claims, deadtime 1 s
  EXPECT_EQ(sm.unproven_conflicts(), 101u);
}

TEST(state_machine, a_conflict_releases_only_on_the_peers_authenticated_claim) {
  manual_clock clock;
  settings cfg;
  cfg.node_id = 1;
  state_machine sm(clock, cfg, 3);
  sm.start();
  sm.make_active(true);
  message peer;
  peer.node_id = 2;
  peer.sender_role = role::active;
  peer.term = sm.term() + 1;  // took over behind a broken path: the higher term
  auto acts = sm.on_heartbeat(0, peer);
  EXPECT_EQ(sm.current_role(), role::passive);  // rule 3 on the heartbeat already
  EXPECT_EQ(count(acts, action_kind::remove_vips), 1);
  EXPECT_EQ(sm.unproven_conflicts(), 0u);
}

TEST(state_machine, conflict_while_the_peer_is_alive_and_passive_reannounces) {
  manual_clock clock;
  settings cfg;
  cfg.node_id = 1;
  state_machine sm(clock, cfg, 3);
  sm.start();
  sm.make_active(true);
  message peer;
  peer.node_id = 2;
  peer.sender_role = role::passive;
  sm.on_heartbeat(0, peer);
  auto acts = sm.on_conflict();
  EXPECT_EQ(sm.current_role(), role::active);
  EXPECT_EQ(count(acts, action_kind::announce), 1);
}

TEST(state_machine, peer_is_alive_while_any_path_is_alive) {
  manual_clock clock;
  settings cfg;
  cfg.path_count = 2;
  cfg.node_id = 1;
  cfg.arp_probe = false;
  state_machine sm(clock, cfg, 0);
  sm.start();
  message peer;
  peer.node_id = 2;
  peer.sender_role = role::active;
  peer.term = 4;
  sm.on_heartbeat(0, peer);
  for (int i = 0; i < 30; ++i) {  // path 0 goes silent; path 1 carries on
    clock.advance(100ms);
    sm.on_heartbeat(1, peer);
    sm.tick();
  }
  EXPECT_EQ(sm.current_role(), role::passive);
  auto st = sm.peer();
  EXPECT_TRUE(st.alive);
  ASSERT_EQ(st.path_age.size(), 2u);
  EXPECT_GE(*st.path_age[0], 3s);
  EXPECT_EQ(*st.path_age[1], 0ms);
  clock.advance(1000ms);
  sm.tick();
  EXPECT_EQ(sm.current_role(), role::active);
  EXPECT_EQ(sm.term(), 5u);
}

TEST(state_machine, warns_once_when_the_heartbeat_is_late) {
  manual_clock clock;
  settings cfg;
  cfg.node_id = 1;
  state_machine sm(clock, cfg, 0);
  sm.start();
  message peer;
  peer.node_id = 2;
  peer.sender_role = role::active;
  sm.on_heartbeat(0, peer);
  clock.advance(400ms);
  EXPECT_EQ(count(sm.tick(), action_kind::warn_late), 0);
  clock.advance(200ms);
  EXPECT_EQ(count(sm.tick(), action_kind::warn_late), 1);
  clock.advance(100ms);
  EXPECT_EQ(count(sm.tick(), action_kind::warn_late), 0);
}

}  // namespace
}  // namespace lbha::heartbeat

namespace lbha::heartbeat {
namespace {

using namespace std::chrono_literals;

// Node 2, which has just heard the active node 1 on path 0: passive.
struct beside_an_active_peer {
  explicit beside_an_active_peer(settings s, std::uint64_t peer_term = 0)
      : cfg(with_node_id(s)), sm(clock, cfg, 0) {
    sm.start();
    peer.node_id = 1;
    peer.sender_role = role::active;
    peer.term = peer_term;
    sm.on_heartbeat(0, peer);
  }
  static settings with_node_id(settings s) {
    s.node_id = 2;
    return s;
  }

  manual_clock clock;
  settings cfg;
  state_machine sm;
  message peer;
};

settings with_probe_lead(std::chrono::milliseconds lead) {
  settings s;
  s.probe_lead = lead;
  return s;
}

TEST(state_machine_probe_lead, probes_before_deadtime_so_the_takeover_is_not_delayed) {
  beside_an_active_peer n(with_probe_lead(30ms), 3);
  auto& [clock, cfg, sm, peer] = n;
  clock.advance(960ms);
  EXPECT_EQ(count(sm.tick(), action_kind::probe_vips), 0);
  clock.advance(10ms);  // 970 ms of silence: deadtime - probe_lead
  EXPECT_EQ(count(sm.tick(), action_kind::probe_vips), 1);
  EXPECT_TRUE(sm.on_probe_result(false).empty() || sm.current_role() == role::passive);
  EXPECT_EQ(sm.current_role(), role::passive);  // the peer is not dead yet
  clock.advance(30ms);
  sm.tick();
  EXPECT_EQ(sm.current_role(), role::active);  // at deadtime exactly, no further probe
  EXPECT_EQ(sm.term(), 4u);
}

TEST(state_machine_probe_lead, a_heartbeat_after_the_early_probe_discards_its_result) {
  beside_an_active_peer n(with_probe_lead(30ms));
  auto& [clock, cfg, sm, peer] = n;
  clock.advance(975ms);
  EXPECT_EQ(count(sm.tick(), action_kind::probe_vips), 1);
  sm.on_probe_result(false);
  sm.on_heartbeat(0, peer);  // the peer was only late
  clock.advance(1001ms);
  auto acts = sm.tick();
  EXPECT_EQ(sm.current_role(), role::passive);  // must probe again before taking over
  EXPECT_EQ(count(acts, action_kind::probe_vips), 1);
}

TEST(state_machine_deadline, init_waits_for_initdead) {
  manual_clock clock;
  settings cfg;
  cfg.initdead = 3000ms;
  state_machine sm(clock, cfg, 0);
  sm.start();
  EXPECT_EQ(sm.next_deadline(), clock.now() + 3000ms);
}

TEST(state_machine_deadline, a_passive_node_wants_the_early_probe_then_deadtime) {
  beside_an_active_peer n(with_probe_lead(32ms));
  auto& [clock, cfg, sm, peer] = n;
  const auto heard = clock.now();
  ASSERT_EQ(sm.current_role(), role::passive);
  EXPECT_EQ(sm.next_deadline(), heard + cfg.warntime);
  clock.advance(cfg.warntime);
  sm.tick();  // warned
  EXPECT_EQ(sm.next_deadline(), heard + cfg.deadtime - cfg.probe_lead);
  clock.advance(cfg.deadtime - cfg.probe_lead - cfg.warntime);
  EXPECT_EQ(count(sm.tick(), action_kind::probe_vips), 1);
  EXPECT_EQ(sm.next_deadline(), heard + cfg.deadtime);  // probing: only deadtime is left
  sm.on_probe_result(false);
  clock.advance(cfg.probe_lead);
  sm.tick();
  EXPECT_EQ(sm.current_role(), role::active);
  EXPECT_EQ(sm.next_deadline(), std::nullopt);  // alone and active: nothing falls due
}

TEST(state_machine_deadline, a_defended_probe_is_retried_a_deadtime_later) {
  beside_an_active_peer n(settings{});
  auto& [clock, cfg, sm, peer] = n;
  clock.advance(cfg.deadtime);
  EXPECT_EQ(count(sm.tick(), action_kind::probe_vips), 1);
  sm.on_probe_result(true);
  EXPECT_EQ(sm.next_deadline(), clock.now() + cfg.deadtime);
}

TEST(state_machine_deadline, follows_the_newest_path) {
  settings two_paths;
  two_paths.path_count = 2;
  two_paths.arp_probe = false;
  beside_an_active_peer n(two_paths);
  auto& [clock, cfg, sm, peer] = n;
  clock.advance(600ms);
  sm.tick();  // warned about path 0's silence
  sm.on_heartbeat(1, peer);
  EXPECT_EQ(sm.next_deadline(), clock.now() + cfg.warntime);
  auto st = sm.peer();
  EXPECT_EQ(st.path_alive, (std::vector<bool>{true, true}));
  clock.advance(500ms);
  st = sm.peer();
  EXPECT_EQ(st.path_alive, (std::vector<bool>{false, true}));
}

}  // namespace
}  // namespace lbha::heartbeat
