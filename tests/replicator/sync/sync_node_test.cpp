// sync_node driven synchronously: two nodes over an in-memory network, and
// one node against a scripted peer speaking HAProxy's bytes.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "replicator/sync/sync_node.hpp"

namespace lbha::sync {
namespace {

// A plain-TCP peer (a HAProxy without ssl) connects: accepted, then secured as plain.
std::optional<connection_id> accept_plain(sync_node& node, const std::string& address) {
  auto id = node.accepted(address);
  if (id && !node.secured(*id, false)) return std::nullopt;
  return id;
}

bytes raw(std::initializer_list<int> v) {
  bytes out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

table_config web_table() {
  return {.name = "web", .key = key_type::ipv4, .expire_ms = 1800000, .servers = {"rs1", "rs2"}};
}

node_settings settings_for(std::string name, std::string peer_address) {
  node_settings s;
  s.local_name = std::move(name);
  s.peers = {{.name = "", .addresses = {std::move(peer_address)}, .port = 7778}};
  s.tables = {web_table()};
  s.identity = "SHA256:pair";  // paired: the daemon does the TLS, the node its bookkeeping
  return s;
}

table_change change(std::uint8_t last, std::string server, std::uint32_t ms = 1800000) {
  return {"web", raw({198, 51, 100, last}), std::move(server), ms};
}

// Nodes by address, joined by in-memory connections that deliver at once.
class network {
 public:
  explicit network(manual_clock& clock) : clock_(clock) {}

  sync_node& add(const std::string& address, node_settings settings) {
    nodes_[address] = std::make_unique<sync_node>(std::move(settings), clock_);
    return *nodes_[address];
  }
  sync_node* node(const std::string& address) {
    auto it = nodes_.find(address);
    return it == nodes_.end() ? nullptr : it->second.get();
  }
  void remove(const std::string& address) {
    // A crashed process: its sockets close under the peer.
    for (auto it = links_.begin(); it != links_.end();) {
      if (it->first.first == address) {
        const auto other = it->second;
        links_.erase(links_.find(other));
        if (nodes_.count(other.first)) nodes_[other.first]->closed(other.second);
        it = links_.erase(it);
      } else {
        ++it;
      }
    }
    nodes_.erase(address);
  }
  void cut() {  // every connection reset at once
    auto links = std::exchange(links_, {});
    for (auto& [from, to] : links) {
      if (nodes_.count(from.first)) nodes_[from.first]->closed(from.second);
    }
  }
  bool partitioned = false;

  // Delivers dials, bytes and closes until nothing moves.
  void pump() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (auto& [address, node] : snapshot()) {
        for (auto& d : node->take_dials()) {
          moved = true;
          ++dials;
          auto target = nodes_.find(d.address);
          if (partitioned || target == nodes_.end()) {
            node->connect_failed(d.id);
            continue;
          }
          auto accepted = target->second->accepted(address);
          if (accepted && !target->second->secured(*accepted, d.tls)) accepted.reset();
          if (!accepted) {
            node->connected(d.id);
            node->closed(d.id);
            continue;
          }
          links_[{address, d.id}] = {d.address, *accepted};
          links_[{d.address, *accepted}] = {address, d.id};
          node->connected(d.id);
        }
        for (auto& [id, data] : node->take_outputs()) {
          moved = true;
          bytes_sent += data.size();
          auto link = links_.find({address, id});
          if (link == links_.end()) continue;
          const auto to = link->second;
          if (nodes_.count(to.first)) nodes_[to.first]->received(to.second, data);
        }
        for (auto& [id, data] : node->take_closing()) {
          moved = true;
          auto link = links_.find({address, id});
          if (link == links_.end()) continue;
          const auto to = link->second;
          links_.erase(link);
          links_.erase(to);
          if (nodes_.count(to.first)) {
            nodes_[to.first]->received(to.second, data);
            nodes_[to.first]->closed(to.second);
          }
        }
      }
      if (!moved) return;
    }
    FAIL() << "network did not settle";
  }

  // Advances time in steps, ticking every node and pumping.
  void run_for(clock::duration d, clock::duration step = 100ms) {
    for (clock::duration t{}; t < d; t += step) {
      clock_.advance(step);
      for (auto& [address, node] : snapshot()) node->tick();
      pump();
    }
  }

  std::size_t bytes_sent = 0;
  std::size_t dials = 0;

 private:
  std::vector<std::pair<std::string, sync_node*>> snapshot() {
    std::vector<std::pair<std::string, sync_node*>> out;
    for (auto& [a, n] : nodes_) out.emplace_back(a, n.get());
    return out;
  }
  using end = std::pair<std::string, connection_id>;
  manual_clock& clock_;
  std::map<std::string, std::unique_ptr<sync_node>> nodes_;
  std::map<end, end> links_;
};

TEST(sync_node, pair_connects_and_replicates_both_ways) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  ASSERT_TRUE(a.status()[0].connected);
  ASSERT_TRUE(b.status()[0].connected);
  EXPECT_FALSE(a.resync_pending());
  EXPECT_FALSE(b.resync_pending());

  a.local_changes({change(7, "rs2", 60000)});
  net.pump();
  auto got = b.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "web");
  EXPECT_EQ(got[0].key, raw({198, 51, 100, 7}));
  EXPECT_EQ(got[0].server, "rs2");
  EXPECT_EQ(got[0].expires_in_ms, 60000u);

  b.local_changes({change(8, "rs1")});
  net.pump();
  got = a.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].server, "rs1");
  // Learnt entries are not echoed back.
  EXPECT_TRUE(b.take_remote_changes().empty());
  EXPECT_EQ(a.status()[0].updates_sent, 1u);
  EXPECT_EQ(a.status()[0].updates_received, 1u);
}

TEST(sync_node, proxyd_echo_of_an_applied_entry_is_not_pushed_back) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  a.local_changes({change(7, "rs2", 60000)});
  net.pump();
  auto applied = b.take_remote_changes();
  ASSERT_EQ(applied.size(), 1u);
  clock.advance(20ms);
  b.local_changes(applied);  // proxyd's WatchTable reports what syncd applied
  net.pump();
  EXPECT_EQ(b.status()[0].updates_sent, 0u);
  // A real refresh (later expiry) is pushed.
  clock.advance(5s);
  b.local_changes({change(7, "rs2", 60000)});
  net.pump();
  EXPECT_EQ(b.status()[0].updates_sent, 1u);
}

TEST(sync_node, restarted_node_is_taught_everything_with_remaining_expiry) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  std::vector<table_change> changes;
  for (int i = 1; i <= 50; ++i) changes.push_back(change(static_cast<std::uint8_t>(i), i % 2 ? "rs1" : "rs2", 60000));
  a.local_changes(changes);
  net.pump();
  clock.advance(10s);

  net.remove("192.0.2.2");
  net.run_for(1s);
  EXPECT_FALSE(a.status()[0].connected);
  auto& b2 = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  EXPECT_TRUE(b2.resync_pending());
  net.run_for(4s);
  EXPECT_FALSE(b2.resync_pending());
  auto got = b2.take_remote_changes();
  ASSERT_EQ(got.size(), 50u);
  for (const auto& g : got) {
    EXPECT_EQ(g.server, g.key[3] % 2 ? "rs1" : "rs2");
    // 60 s less the 10 s before the restart and the few seconds of reconnecting.
    EXPECT_LE(g.expires_in_ms, 50000u);
    EXPECT_GE(g.expires_in_ms, 44000u);
  }
  ASSERT_NE(b2.table("web"), nullptr);
  EXPECT_EQ(b2.table("web")->size(), 50u);
}

TEST(sync_node, a_large_lesson_goes_in_chunks_and_includes_changes_made_meanwhile) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  auto key = [](std::uint32_t i) {
    return bytes{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                 static_cast<std::uint8_t>(i)};
  };
  const std::uint32_t n = 2 * sync_node::lesson_chunk + 500;
  std::vector<table_change> changes;
  for (std::uint32_t i = 0; i < n; ++i) changes.push_back({"web", key(i), "rs1", 60000});
  a.local_changes(changes);
  net.pump();

  net.remove("192.0.2.2");
  net.run_for(1s);
  auto& b2 = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  for (int i = 0; i < 50 && !a.teaching(); ++i) net.run_for(100ms);
  ASSERT_TRUE(a.teaching()) << "more than one chunk: still teaching after the first";
  EXPECT_TRUE(b2.resync_pending());
  // Changes while the lesson runs: a rewritten entry and a new one.
  a.local_changes({{"web", key(1), "rs2", 60000}, {"web", key(n), "rs2", 60000}});
  net.run_for(2s);
  EXPECT_FALSE(a.teaching());
  EXPECT_FALSE(b2.resync_pending());
  ASSERT_NE(b2.table("web"), nullptr);
  EXPECT_EQ(b2.table("web")->size(), n + 1);
  const std::string k1(reinterpret_cast<const char*>(key(1).data()), 4);
  const std::string kn(reinterpret_cast<const char*>(key(n).data()), 4);
  ASSERT_NE(b2.table("web")->find(k1), nullptr);
  EXPECT_EQ(b2.table("web")->server_name(*b2.table("web")->find(k1)), "rs2");
  ASSERT_NE(b2.table("web")->find(kn), nullptr);
  EXPECT_EQ(b2.table("web")->server_name(*b2.table("web")->find(kn)), "rs2");
}

TEST(sync_node, new_session_resumes_after_last_acked_update) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  a.local_changes({change(1, "rs1"), change(2, "rs1"), change(3, "rs2")});
  net.pump();
  EXPECT_EQ(b.take_remote_changes().size(), 3u);

  net.cut();
  net.partitioned = true;
  a.local_changes({change(4, "rs2"), change(5, "rs1")});
  net.run_for(1s);
  EXPECT_FALSE(a.status()[0].connected);
  net.partitioned = false;
  net.run_for(6s);
  ASSERT_TRUE(a.status()[0].connected);
  const auto got = b.take_remote_changes();
  ASSERT_EQ(got.size(), 2u);  // only what b had not acknowledged
  EXPECT_EQ(got[0].key[3], 4);
  EXPECT_EQ(got[1].key[3], 5);
  EXPECT_EQ(a.status()[0].updates_sent, 5u);
}

table_config api_table() {
  return {.name = "api", .key = key_type::ipv4, .expire_ms = 600000, .servers = {"api1", "api2"}};
}

table_change api_change(std::uint8_t last, std::string server) {
  return {"api", raw({203, 0, 113, last}), std::move(server), 600000};
}

node_settings with_tables(node_settings s, std::vector<table_config> tables) {
  s.tables = std::move(tables);
  return s;
}

// A persistent VIP added by a commit: the primary's syncd reloads first and
// has entries for it before the secondary's reloads.
TEST(sync_node, a_table_added_by_reconfigure_is_synchronised_without_reconnecting) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  ASSERT_TRUE(a.status()[0].connected);
  a.local_changes({change(1, "rs1")});
  net.pump();
  ASSERT_EQ(b.take_remote_changes().size(), 1u);
  const auto dials = net.dials;

  ASSERT_TRUE(a.reconfigure(with_tables(settings_for("lbha-a", "192.0.2.2"),
                                        {web_table(), api_table()})));
  net.pump();
  a.local_changes({api_change(1, "api2")});  // b has no such table yet: skipped there
  net.pump();
  EXPECT_EQ(a.counters().ignored_local_changes, 0u);
  EXPECT_TRUE(b.take_remote_changes().empty());

  ASSERT_TRUE(b.reconfigure(with_tables(settings_for("lbha-b", "192.0.2.1"),
                                        {web_table(), api_table()})));
  net.pump();
  // b asked for a resync: a's lesson brings the api entry b skipped.
  auto got = b.take_remote_changes();
  auto api = std::find_if(got.begin(), got.end(), [](const auto& c) { return c.table == "api"; });
  ASSERT_NE(api, got.end());
  EXPECT_EQ(api->key, raw({203, 0, 113, 1}));
  EXPECT_EQ(api->server, "api2");
  EXPECT_FALSE(b.resync_pending());

  // Live both ways on the new table, over the same sessions.
  a.local_changes({api_change(2, "api1")});
  b.local_changes({api_change(3, "api2")});
  net.pump();
  got = b.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "api");
  EXPECT_EQ(got[0].server, "api1");
  got = a.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].key, raw({203, 0, 113, 3}));
  net.run_for(2s);
  EXPECT_TRUE(a.status()[0].connected);
  EXPECT_TRUE(b.status()[0].connected);
  EXPECT_EQ(net.dials, dials) << "a reload that changes only tables keeps the sessions";
}

TEST(sync_node, an_unchanged_table_keeps_its_entries_and_its_update_ids) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  a.local_changes({change(1, "rs1"), change(2, "rs2")});
  net.pump();
  ASSERT_EQ(b.take_remote_changes().size(), 2u);
  const auto dials = net.dials;
  const auto sent = a.status()[0].updates_sent;

  // The new table comes first: web moves from index 0 to 1.
  for (auto* n : {&a, &b}) {
    auto s = n->settings();
    s.tables = {api_table(), web_table()};
    ASSERT_TRUE(n->reconfigure(std::move(s)));
  }
  net.run_for(1s);
  for (auto* n : {&a, &b}) {
    ASSERT_NE(n->table("web"), nullptr);
    EXPECT_EQ(n->table("web")->size(), 2u);
  }
  // Nothing already acknowledged is sent again, and the next change follows.
  EXPECT_TRUE(b.take_remote_changes().empty());
  EXPECT_EQ(a.status()[0].updates_sent, sent);
  a.local_changes({change(3, "rs2")});
  net.pump();
  const auto got = b.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "web");
  EXPECT_EQ(got[0].key, raw({198, 51, 100, 3}));
  EXPECT_EQ(b.table("web")->size(), 3u);
  EXPECT_EQ(net.dials, dials);
}

TEST(sync_node, a_removed_table_stops_and_the_others_go_on) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", with_tables(settings_for("lbha-a", "192.0.2.2"),
                                             {web_table(), api_table()}));
  auto& b = net.add("192.0.2.2", with_tables(settings_for("lbha-b", "192.0.2.1"),
                                             {web_table(), api_table()}));
  net.run_for(3s);
  a.local_changes({change(1, "rs1"), api_change(1, "api1")});
  net.pump();
  ASSERT_EQ(b.take_remote_changes().size(), 2u);
  const auto dials = net.dials;

  // web goes on a only (b reloads later): api moves to index 0 on a.
  ASSERT_TRUE(a.reconfigure(with_tables(settings_for("lbha-a", "192.0.2.2"), {api_table()})));
  net.pump();
  EXPECT_EQ(a.table("web"), nullptr);
  a.local_changes({change(2, "rs2")});
  EXPECT_EQ(a.counters().ignored_local_changes, 1u);
  b.local_changes({change(3, "rs1")});  // b still has web: a skips it
  net.pump();
  EXPECT_TRUE(a.take_remote_changes().empty());
  EXPECT_TRUE(b.take_remote_changes().empty());

  // api still flows both ways, under its own name.
  a.local_changes({api_change(2, "api2")});
  b.local_changes({api_change(3, "api1")});
  net.pump();
  auto got = b.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "api");
  EXPECT_EQ(got[0].key, raw({203, 0, 113, 2}));
  EXPECT_EQ(got[0].server, "api2");
  got = a.take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "api");
  EXPECT_EQ(got[0].server, "api1");
  ASSERT_NE(a.table("api"), nullptr);
  EXPECT_EQ(a.table("api")->size(), 3u);
  EXPECT_TRUE(a.status()[0].connected);
  EXPECT_EQ(net.dials, dials);
}

TEST(sync_node, heartbeats_keep_an_idle_session_and_a_silent_peer_is_dropped) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));
  net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  const std::size_t before = net.bytes_sent;
  net.run_for(30s);
  EXPECT_TRUE(a.status()[0].connected);
  // Two heartbeats (2 bytes) per second, one from each side, and nothing else.
  EXPECT_GE(net.bytes_sent - before, 2u * 2 * 25);
  EXPECT_LE(net.bytes_sent - before, 2u * 2 * 31);
}

// A scripted remote peer on one connection of the node under test.
class scripted_peer : public ::testing::Test {
 protected:
  scripted_peer() {
    node_settings s;
    s.local_name = "stickd";
    s.peers = {{.name = "hap1", .addresses = {"127.0.0.1"}, .port = 17788, .plain = true}};
    s.tables = {{.name = "be_app", .key = key_type::ipv4, .expire_ms = 1800000,
                 .servers = {"s1", "s2"}}};
    node_ = std::make_unique<sync_node>(s, clock_);
  }

  bytes output(connection_id id) {
    bytes all;
    for (auto& [cid, data] : node_->take_outputs()) {
      if (cid == id) all.insert(all.end(), data.begin(), data.end());
    }
    return all;
  }
  bool closed(connection_id id, bytes* last = nullptr) {
    for (auto& [cid, data] : node_->take_closing()) {
      if (cid == id) {
        if (last) *last = data;
        return true;
      }
    }
    return false;
  }

  connection_id haproxy_connects() {
    auto id = accept_plain(*node_, "127.0.0.1");
    EXPECT_TRUE(id);
    node_->received(*id, text("HAProxyS 2.1\nstickd\nhap1 30819 1\n"));
    return *id;
  }

  manual_clock clock_;
  std::unique_ptr<sync_node> node_;
};

TEST_F(scripted_peer, haproxy_calls_learns_and_is_taught) {
  const auto id = haproxy_connects();
  // 200, then our request for a full resync (we just started).
  EXPECT_EQ(output(id), raw({'2', '0', '0', '\n', 0x00, 0x00}));
  EXPECT_TRUE(node_->status()[0].connected);

  // HAProxy's DEFINE and update, bytes seen live.
  node_->received(id, raw({0x0a, 0x82, 0x12, 0x01, 0x06, 0x62, 0x65, 0x5f, 0x61, 0x70, 0x70, 0x04,
                         0x04, 0xf1, 0xf1, 0xfe, 0x00, 0xf0, 0xe5, 0xed, 0x05, 0x0a, 0x80, 0x0e,
                         0x00, 0x00, 0x00, 0x02, 0x7f, 0x00, 0x00, 0x09, 0x01, 0x04, 0x01, 0x02,
                         0x73, 0x31}));
  auto got = node_->take_remote_changes();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].table, "be_app");
  EXPECT_EQ(got[0].key, raw({127, 0, 0, 9}));
  EXPECT_EQ(got[0].server, "s1");
  EXPECT_EQ(got[0].expires_in_ms, 1800000u);  // a plain UPDATE: our table's expiry
  EXPECT_EQ(output(id), raw({0x0a, 0x84, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02}));  // ACK id 2

  node_->received(id, raw({0x00, 0x01}));  // RESYNCFINISHED
  EXPECT_EQ(output(id), raw({0x00, 0x03}));  // RESYNCCONFIRM
  EXPECT_FALSE(node_->resync_pending());

  // HAProxy asks us for our table: a DEFINE, each entry timed, then FINISHED.
  node_->local_changes({{"be_app", raw({198, 51, 100, 7}), "s2", 60000}});
  output(id);
  node_->received(id, raw({0x00, 0x00}));
  const bytes lesson = output(id);
  // No DEFINE: the live push of entry 2 already selected be_app. Entry 1
  // (127.0.0.9, learnt) takes dictionary id 2 for "s1"; entry 2 (198.51.100.7)
  // finds "s2" cached under id 1 from that live push. Then RESYNCFINISHED.
  const bytes expected = raw({0x0a, 0x85, 0x12, 0x00, 0x00, 0x00, 0x01, 0x00, 0x1b, 0x77, 0x40,
                              0x7f, 0x00, 0x00, 0x09, 0x01, 0x04, 0x02, 0x02, 0x73, 0x31,
                              0x0a, 0x86, 0x0b, 0x00, 0x00, 0xea, 0x60, 0xc6, 0x33, 0x64, 0x07,
                              0x02, 0x01, 0x01,
                              0x00, 0x01});
  EXPECT_EQ(lesson, expected);
}

TEST_F(scripted_peer, pushes_local_entries_live_and_takes_acks) {
  const auto id = haproxy_connects();
  output(id);
  node_->local_changes({{"be_app", raw({198, 51, 100, 7}), "s2", 30000}});
  EXPECT_EQ(output(id), raw({0x0a, 0x82, 0x12, 0x01, 0x06, 0x62, 0x65, 0x5f, 0x61, 0x70, 0x70,
                           0x04, 0x04, 0xf1, 0xf1, 0xfe, 0x00, 0xf0, 0xe5, 0xed, 0x05, 0x0a,
                           0x85, 0x12, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x75, 0x30, 0xc6,
                           0x33, 0x64, 0x07, 0x02, 0x04, 0x01, 0x02, 0x73, 0x32}));
  node_->local_changes({{"be_app", raw({198, 51, 100, 8}), "s2", 30000}});
  // Same table: no DEFINE; the next id: INCUPDATE_TIMED; "s2" from the dictionary.
  EXPECT_EQ(output(id), raw({0x0a, 0x86, 0x0b, 0x00, 0x00, 0x75, 0x30, 0xc6, 0x33, 0x64, 0x08,
                             0x02, 0x01, 0x01}));
  node_->received(id, raw({0x0a, 0x84, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02}));
  EXPECT_TRUE(node_->status()[0].connected);
}

TEST_F(scripted_peer, refuses_unknown_addresses_and_names) {
  EXPECT_FALSE(node_->accepted("203.0.113.9"));
  EXPECT_EQ(node_->counters().refused_connections, 1u);

  auto id = accept_plain(*node_, "127.0.0.1");
  ASSERT_TRUE(id);
  node_->received(*id, text("HAProxyS 2.1\nstickd\nintruder 1 1\n"));
  bytes last;
  ASSERT_TRUE(closed(*id, &last));
  EXPECT_EQ(last, text("504\n"));

  id = accept_plain(*node_, "127.0.0.1");
  node_->received(*id, text("HAProxyS 2.1\nsomeone-else\nhap1 1 1\n"));
  ASSERT_TRUE(closed(*id, &last));
  EXPECT_EQ(last, text("503\n"));

  id = accept_plain(*node_, "127.0.0.1");
  node_->received(*id, text("HAProxyS 2.9\nstickd\nhap1 1 1\n"));
  ASSERT_TRUE(closed(*id, &last));
  EXPECT_EQ(last, text("502\n"));

  id = accept_plain(*node_, "127.0.0.1");
  node_->received(*id, text("GET / HTTP/1.0\r\n"));
  ASSERT_TRUE(closed(*id, &last));
  EXPECT_EQ(last, text("501\n"));
  EXPECT_FALSE(node_->status()[0].connected);
}

TEST_F(scripted_peer, malformed_messages_get_an_error_and_a_close) {
  auto id = haproxy_connects();
  output(id);
  node_->received(id, raw({0x0a, 0x80, 0x02, 0x00, 0x00}));  // update before any DEFINE
  bytes last;
  ASSERT_TRUE(closed(id, &last));
  EXPECT_EQ(last, raw({0x01, 0x00}));

  id = haproxy_connects();
  output(id);
  bytes big = raw({0x0a, 0x80});
  put_varint(big, 100000);
  node_->received(id, big);
  ASSERT_TRUE(closed(id, &last));
  EXPECT_EQ(last, raw({0x01, 0x01}));

  id = haproxy_connects();
  output(id);
  node_->received(id, raw({0x01, 0x00}));  // the peer reports an error
  EXPECT_TRUE(closed(id));
}

TEST_F(scripted_peer, newest_session_wins) {
  const auto first = haproxy_connects();
  output(first);
  const auto second = haproxy_connects();
  EXPECT_TRUE(closed(first));
  // The first session died before teaching us, so the new one asks again.
  EXPECT_EQ(output(second), raw({'2', '0', '0', '\n', 0x00, 0x00}));
  EXPECT_TRUE(node_->status()[0].connected);
}

TEST_F(scripted_peer, a_live_session_that_ends_is_reported_once_a_replaced_one_is_not) {
  const auto first = haproxy_connects();
  output(first);
  const auto second = haproxy_connects();  // the newest wins: first is closed, no disconnect
  EXPECT_TRUE(closed(first));
  EXPECT_TRUE(node_->take_session_ends().empty());
  output(second);
  node_->closed(second);
  const auto ends = node_->take_session_ends();
  ASSERT_EQ(ends.size(), 1u);
  EXPECT_EQ(ends[0].peer, "hap1");
  EXPECT_EQ(ends[0].address, "127.0.0.1");
  EXPECT_EQ(ends[0].reason, "connection closed");
  EXPECT_TRUE(node_->take_session_ends().empty());
}

TEST_F(scripted_peer, dials_with_backoff_and_heartbeats) {
  node_->tick();
  auto dials = node_->take_dials();
  ASSERT_EQ(dials.size(), 1u);
  EXPECT_EQ(dials[0].address, "127.0.0.1");
  EXPECT_EQ(dials[0].port, 17788);
  node_->connect_failed(dials[0].id);
  // 500 ms, then 1 s, 2 s, 4 s, 5 s (cap).
  for (auto delay : {500ms, 1000ms, 2000ms, 4000ms, 5000ms, 5000ms}) {
    clock_.advance(delay - 1ms);
    node_->tick();
    EXPECT_TRUE(node_->take_dials().empty()) << delay.count();
    clock_.advance(1ms);
    node_->tick();
    dials = node_->take_dials();
    ASSERT_EQ(dials.size(), 1u) << delay.count();
    node_->connect_failed(dials[0].id);
  }

  clock_.advance(5s);
  node_->tick();
  dials = node_->take_dials();
  ASSERT_EQ(dials.size(), 1u);
  const auto id = dials[0].id;
  node_->connected(id);
  EXPECT_EQ(output(id), text("HAProxyS 2.1\nhap1\nstickd 0 1\n"));
  node_->received(id, text("200\n"));
  // Alone for longer than resync_timeout: the node started on its own and asks nobody.
  EXPECT_FALSE(node_->resync_pending());
  EXPECT_TRUE(output(id).empty());
  EXPECT_TRUE(node_->status()[0].connected);

  // Heartbeat after 1 s of sending nothing; dropped after 5 s of hearing nothing.
  clock_.advance(999ms);
  node_->tick();
  EXPECT_TRUE(output(id).empty());
  clock_.advance(1ms);
  node_->tick();
  EXPECT_EQ(output(id), raw({0x00, 0x04}));
  node_->received(id, raw({0x00, 0x04}));
  clock_.advance(4999ms);
  node_->tick();
  EXPECT_TRUE(node_->status()[0].connected);
  clock_.advance(1ms);
  node_->tick();
  EXPECT_TRUE(closed(id));
  EXPECT_FALSE(node_->status()[0].connected);
}

TEST_F(scripted_peer, status_other_than_200_closes_and_retries) {
  node_->tick();
  auto dials = node_->take_dials();
  ASSERT_EQ(dials.size(), 1u);
  node_->connected(dials[0].id);
  output(dials[0].id);
  node_->received(dials[0].id, text("503\n"));
  EXPECT_TRUE(closed(dials[0].id));
  clock_.advance(500ms);
  node_->tick();
  EXPECT_EQ(node_->take_dials().size(), 1u);
}

TEST(sync_node, simultaneous_dials_settle_on_one_session) {
  for (std::uint32_t seed = 1; seed <= 20; ++seed) {
    manual_clock clock;
    network net(clock);
    auto sa = settings_for("lbha-a", "192.0.2.2");
    auto sb = settings_for("lbha-b", "192.0.2.1");
    sa.seed = seed;
    sb.seed = seed * 7919;
    auto& a = net.add("192.0.2.1", sa);
    auto& b = net.add("192.0.2.2", sb);
    net.run_for(10s);
    EXPECT_TRUE(a.status()[0].connected) << seed;
    EXPECT_TRUE(b.status()[0].connected) << seed;
    a.local_changes({change(1, "rs1")});
    net.pump();
    EXPECT_EQ(b.take_remote_changes().size(), 1u) << seed;
  }
}

}  // namespace
}  // namespace lbha::sync

// ---- the peers port's limits (README "Security") ---------------------------

namespace lbha::sync {
namespace {

TEST(update_ids, a_wire_id_widens_back_to_its_sequence_across_the_wrap) {
  const std::uint64_t latest = (1ull << 32) + 2;  // wire id 2
  EXPECT_EQ(widen_id(2, latest), latest);
  EXPECT_EQ(widen_id(0, latest), 1ull << 32);
  EXPECT_EQ(widen_id(0xffffffffu, latest), (1ull << 32) - 1);
  EXPECT_EQ(widen_id(3, latest), std::nullopt);  // ahead of what we sent
  EXPECT_EQ(widen_id(5, 4), std::nullopt);
  EXPECT_EQ(widen_id(0, 4), 0u);  // nothing acknowledged yet
}

TEST(sync_node, updates_and_acks_keep_flowing_across_the_32_bit_wrap) {
  manual_clock clock;
  network net(clock);
  auto sa = settings_for("lbha-a", "192.0.2.2");
  sa.first_update_id = (1ull << 32) - 3;  // 2.5 days at 20k updates/s
  auto& a = net.add("192.0.2.1", sa);
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  ASSERT_TRUE(a.status()[0].connected);
  for (std::uint8_t i = 1; i <= 8; ++i) {
    a.local_changes({change(i, i % 2 ? "rs1" : "rs2", 60000)});
    net.pump();
    ASSERT_EQ(b.take_remote_changes().size(), 1u) << "update " << int(i);
  }
  EXPECT_EQ(a.table("web")->last_update_id(), (1ull << 32) + 5);  // wire ids ..., 0xffffffff, 0, 1, ...
  EXPECT_EQ(b.table("web")->size(), 8u);
  EXPECT_EQ(b.status()[0].updates_received, 8u);
  // The acks matched across the wrap: a new session resumes after the last
  // one and sends nothing again.
  net.cut();
  net.run_for(3s);
  ASSERT_TRUE(a.status()[0].connected);
  EXPECT_EQ(a.status()[0].updates_sent, 8u);
  a.local_changes({change(9, "rs2", 60000)});
  net.pump();
  EXPECT_EQ(b.take_remote_changes().size(), 1u);
  EXPECT_EQ(b.status()[0].updates_received, 9u);
}

TEST(sync_node, a_remote_expiry_is_capped_at_the_tables_own_timeout) {
  manual_clock clock;
  network net(clock);
  auto& a = net.add("192.0.2.1", settings_for("lbha-a", "192.0.2.2"));  // 30 min
  auto sb = settings_for("lbha-b", "192.0.2.1");
  sb.tables[0].expire_ms = 49u * 24 * 3600 * 1000;  // what a hostile peer claims
  auto& b = net.add("192.0.2.2", sb);
  net.run_for(3s);
  b.local_changes({change(7, "rs1", sb.tables[0].expire_ms)});
  net.pump();
  const auto* e = a.table("web")->find(std::string("\xc6\x33\x64\x07", 4));
  ASSERT_NE(e, nullptr);
  EXPECT_LE(e->expires, clock.now() + 30min);
  EXPECT_EQ(a.counters().capped_expiries, 1u);
  EXPECT_EQ(a.take_remote_changes().at(0).expires_in_ms, 1800000u);
}

TEST(sync_node, the_store_is_bounded_and_evicts_the_entry_nearest_its_expiry) {
  manual_clock clock;
  network net(clock);
  auto sa = settings_for("lbha-a", "192.0.2.2");
  sa.max_entries = 3;
  auto& a = net.add("192.0.2.1", sa);
  auto& b = net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  b.local_changes({change(1, "rs1", 600000), change(2, "rs1", 60000), change(3, "rs1", 900000)});
  net.pump();
  EXPECT_EQ(a.table("web")->size(), 3u);
  b.local_changes({change(4, "rs2", 800000), change(5, "rs2", 700000)});
  net.pump();
  const auto& t = *a.table("web");
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(a.counters().evicted_entries, 2u);
  EXPECT_EQ(t.find(std::string("\xc6\x33\x64\x02", 4)), nullptr);  // 1 min left: first to go
  EXPECT_EQ(t.find(std::string("\xc6\x33\x64\x01", 4)), nullptr);  // 10 min: next
  EXPECT_NE(t.find(std::string("\xc6\x33\x64\x03", 4)), nullptr);
  // proxyd's own entries are bounded the same way.
  a.local_changes({change(6, "rs1", 1000000)});
  EXPECT_EQ(a.table("web")->size(), 3u);
  EXPECT_EQ(a.counters().evicted_entries, 3u);
}

// proxyd sizes its stick table at start only, so syncd's store keeps the
// bound it started with across a reload, whatever else the reload changes.
TEST(sync_node, the_store_bound_stays_until_a_restart) {
  manual_clock clock;
  network net(clock);
  auto sa = settings_for("lbha-a", "192.0.2.2");
  sa.max_entries = 3;
  auto& a = net.add("192.0.2.1", sa);
  auto next = with_tables(settings_for("lbha-a", "192.0.2.2"), {web_table(), api_table()});
  next.max_entries = 100;
  ASSERT_TRUE(a.reconfigure(next));
  a.local_changes({change(1, "rs1"), change(2, "rs1"), change(3, "rs1"), change(4, "rs1")});
  EXPECT_EQ(a.table("web")->size(), 3u);
  EXPECT_EQ(a.counters().evicted_entries, 1u);
}

TEST(sync_node, a_peer_defines_at_most_max_remote_tables) {
  manual_clock clock;
  network net(clock);
  auto sa = settings_for("lbha-a", "192.0.2.2");
  sa.max_remote_tables = 1;
  auto& a = net.add("192.0.2.1", sa);
  auto sb = settings_for("lbha-b", "192.0.2.1");
  for (int i = 0; i < 3; ++i) {
    auto t = web_table();
    t.name = "extra" + std::to_string(i);
    sb.tables.insert(sb.tables.begin(), t);  // the extra tables come first
  }
  auto& b = net.add("192.0.2.2", sb);
  net.run_for(3s);
  for (int i = 0; i < 3; ++i) {
    b.local_changes({{"extra" + std::to_string(i), raw({198, 51, 100, 1}), "rs1", 60000}});
  }
  b.local_changes({change(9, "rs2", 60000)});
  net.pump();
  EXPECT_EQ(a.counters().refused_tables, 3u);  // "extra0" fills the one slot: the rest refused
  EXPECT_TRUE(a.status()[0].connected);
  EXPECT_TRUE(a.take_remote_changes().empty());  // "web" came fourth: refused too
}

TEST(sync_node, full_resync_requests_are_served_at_most_once_per_interval) {
  manual_clock clock;
  network net(clock);
  auto sa = settings_for("lbha-a", "192.0.2.2");
  sa.resync_interval = 10s;
  auto& a = net.add("192.0.2.1", sa);
  net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
  net.run_for(3s);
  a.local_changes({change(1, "rs1", 600000)});
  net.pump();
  // b restarts twice within the interval: it asks for a resync each time.
  for (int restart = 0; restart < 2; ++restart) {
    net.remove("192.0.2.2");
    net.add("192.0.2.2", settings_for("lbha-b", "192.0.2.1"));
    net.run_for(1s);
  }
  EXPECT_EQ(a.counters().resync_requests_deferred, 2u);
  EXPECT_EQ(a.status()[0].updates_sent, 1u);  // the live push only: the lessons wait
  // The deferred request is served when the interval is over.
  net.run_for(10s);
  auto* restarted = net.node("192.0.2.2");
  EXPECT_EQ(restarted->table("web")->size(), 1u);
  EXPECT_FALSE(restarted->resync_pending());
}

TEST(sync_node, plaintext_is_refused_where_the_peer_uses_tls) {
  manual_clock clock;
  sync_node a(settings_for("lbha-a", "192.0.2.2"), clock);
  auto id = a.accepted("192.0.2.2");  // the partner's address: spoofable
  ASSERT_TRUE(id);
  EXPECT_FALSE(a.secured(*id, false));
  EXPECT_EQ(a.counters().refused_unauthenticated, 1u);
  EXPECT_EQ(a.take_closing().size(), 1u);
  // Bytes on a refused connection change nothing.
  a.received(*id, text("HAProxyS 2.1\nlbha-a\nlbha-b 1 1\n"));
  EXPECT_TRUE(a.take_outputs().empty());
  EXPECT_FALSE(a.status()[0].connected);
}

TEST(sync_node, an_unpaired_node_neither_dials_nor_accepts_the_partner) {
  manual_clock clock;
  auto s = settings_for("lbha-a", "192.0.2.2");
  s.identity.clear();  // no pair.pem
  s.peers.push_back({.name = "hap1", .addresses = {"127.0.0.1"}, .port = 17788, .plain = true});
  sync_node a(s, clock);
  a.tick();
  const auto dials = a.take_dials();
  ASSERT_EQ(dials.size(), 1u);  // the plain HAProxy only
  EXPECT_EQ(dials[0].address, "127.0.0.1");
  EXPECT_FALSE(dials[0].tls);
  auto id = a.accepted("192.0.2.2");
  ASSERT_TRUE(id);
  EXPECT_FALSE(a.secured(*id, true));
  EXPECT_EQ(a.counters().refused_unauthenticated, 1u);
  // Paired by a reload: the partner is dialled, over TLS.
  s.identity = "SHA256:pair";
  EXPECT_TRUE(a.reconfigure(s));
  a.tick();
  const auto after = a.take_dials();
  EXPECT_TRUE(std::any_of(after.begin(), after.end(),
                          [](const dial_request& d) { return d.address == "192.0.2.2" && d.tls; }));
}

TEST(sync_node, a_handshake_that_does_not_finish_in_time_is_dropped_and_counted) {
  manual_clock clock;
  sync_node a(settings_for("lbha-a", "192.0.2.2"), clock);
  auto id = a.accepted("192.0.2.2");  // TCP only: no TLS, no hello
  ASSERT_TRUE(id);
  clock.advance(4s);
  a.tick();
  EXPECT_EQ(a.counters().handshake_timeouts, 0u);
  clock.advance(1s);
  a.tick();
  EXPECT_EQ(a.counters().handshake_timeouts, 1u);
  const auto closing = a.take_closing();
  EXPECT_TRUE(std::any_of(closing.begin(), closing.end(),
                          [&](const auto& c) { return c.first == *id; }));
}

}  // namespace
}  // namespace lbha::sync
