// Loopback integration tests: the engine relaying between in-test clients and
// in-test real servers on 127.0.0.1.
#include "proxy/engine.hpp"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;
using namespace lbha::proxy::test_support;

TEST_F(engine_test, relays_both_ways_with_half_close) {
  backend a("a");
  start(service("web", {&a}));
  client c(port_.port());
  EXPECT_EQ(c.read_line(), "a");
  c.send("hello\n");
  EXPECT_EQ(c.read_line(), "hello");
  c.shutdown_write();
  // The backend sees EOF only if the proxy passed the half-close on, and its
  // reply must still come back over the half-open connection.
  EXPECT_EQ(c.read_line(), "bye");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(eventually([&] {
    auto s = engine_->status();
    return s.virtual_services(0).current_connections() == 0 &&
           s.virtual_services(0).total_connections() == 1;
  }));
  auto s = engine_->status();
  EXPECT_EQ(s.virtual_services(0).bytes_in(), 6u);
  EXPECT_EQ(s.virtual_services(0).bytes_out(), 2u + 6u + 4u);
  EXPECT_EQ(server_status(s, "a")->total_connections(), 1u);
}

TEST_F(engine_test, spreads_by_weight) {
  backend a("a"), b("b");
  start(service("web", {&a, &b}, {50, 150}));
  std::map<std::string, int> count;
  for (int i = 0; i < 40; ++i) ++count[who()];
  EXPECT_EQ(count["a"], 10);
  EXPECT_EQ(count["b"], 30);
}

TEST_F(engine_test, weight_zero_takes_no_new_clients) {
  backend a("a"), b("b");
  start(service("web", {&a, &b}, {0, 100}));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who(), "b");
}

TEST_F(engine_test, persistence_sticks_across_a_thousand_connections) {
  backend a("a"), b("b"), c("c");
  auto vs = service("web", {&a, &b, &c});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  vs.mutable_persistence()->set_timeout_s(60);
  start(vs);
  const std::string first = who("127.0.0.2");
  ASSERT_FALSE(first.empty());
  int same = 0;
  for (int i = 0; i < 1000; ++i) same += who("127.0.0.2") == first;
  EXPECT_EQ(same, 1000);
  // Other clients are still balanced: 6 more sources cover more than one server.
  std::set<std::string> seen;
  for (int i = 3; i < 9; ++i) seen.insert(who(("127.0.0." + std::to_string(i)).c_str()));
  EXPECT_GT(seen.size(), 1u);
  EXPECT_EQ(engine_->table().size(), 7u);
}

TEST_F(engine_test, fails_over_when_a_server_dies) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  fast_connect_check(vs);
  start(vs);
  const std::string first = who();
  backend& dead = first == "a" ? a : b;
  const std::string other = first == "a" ? "b" : "a";
  dead.stop();
  // Even before the health check notices, a refused connect moves on.
  EXPECT_EQ(who(), other);
  EXPECT_EQ(who(), other) << "the stick entry follows the new server";
  EXPECT_TRUE(eventually([&] { return !server_status(engine_->status(), first)->healthy(); }));
  EXPECT_NE(server_status(engine_->status(), first)->last_check().find("connect"), std::string::npos);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(who(), other);
}

TEST_F(engine_test, failover_mode_uses_the_first_backup_only_while_no_primary_is_up) {
  backend p1("p1"), p2("p2"), b1("b1"), b2("b2");
  auto vs = service("web", {&p1, &p2, &b1, &b2});
  vs.mutable_real_servers(2)->set_backup(true);
  vs.mutable_real_servers(3)->set_backup(true);
  fast_connect_check(vs);
  start(vs);
  std::map<std::string, int> seen;
  for (int i = 0; i < 20; ++i) ++seen[who()];
  EXPECT_EQ(seen, (std::map<std::string, int>{{"p1", 10}, {"p2", 10}})) << "backups idle";
  ASSERT_TRUE(engine_->set_real_server_state("web", "p1", v1::REAL_SERVER_STATE_HALT));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(who(), "p2");
  // The last primary dies: even before its check fails, a refused connect
  // goes to the first backup, and only to it.
  p2.stop();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who(), "b1");
  EXPECT_TRUE(eventually([&] { return !server_status(engine_->status(), "p2")->healthy(); }));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who(), "b1");  // never b2 (its accepts are checks)
  const auto status = engine_->status();
  EXPECT_TRUE(server_status(status, "b1")->backup());
  EXPECT_FALSE(server_status(status, "p1")->backup());
  // A primary back: the backups take no new client.
  ASSERT_TRUE(engine_->set_real_server_state("web", "p1", v1::REAL_SERVER_STATE_ONLINE));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(who(), "p1");
}

TEST_F(engine_test, failover_mode_with_all_backups_balances_over_every_backup) {
  backend p("p"), b1("b1"), b2("b2");
  auto vs = service("web", {&p, &b1, &b2});
  vs.set_all_backups(true);
  vs.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_HALT);
  vs.mutable_real_servers(1)->set_backup(true);
  vs.mutable_real_servers(2)->set_backup(true);
  start(vs);
  std::map<std::string, int> seen;
  for (int i = 0; i < 20; ++i) ++seen[who()];
  EXPECT_EQ(seen, (std::map<std::string, int>{{"b1", 10}, {"b2", 10}}));
  ASSERT_TRUE(engine_->set_real_server_state("web", "p", v1::REAL_SERVER_STATE_ONLINE));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(who(), "p");
}

TEST_F(engine_test, drain_keeps_open_and_sticky_clients) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  start(vs);
  client sticky(port_.port(), "127.0.0.2");
  const std::string mine = sticky.read_line();
  ASSERT_TRUE(engine_->set_real_server_state("web", mine, v1::REAL_SERVER_STATE_DRAIN));
  sticky.send("still there\n");
  EXPECT_EQ(sticky.read_line(), "still there");
  EXPECT_EQ(who("127.0.0.2"), mine) << "a persistent client keeps its draining server";
  const std::string other = mine == "a" ? "b" : "a";
  for (int i = 3; i < 13; ++i) EXPECT_EQ(who(("127.0.0." + std::to_string(i)).c_str()), other);
}

// An entry learnt from the peer (syncd's ApplyTable) counts as a local one:
// a draining server keeps the client, a halted one gets it no more.
TEST_F(engine_test, entries_from_the_peer_are_honoured_as_local_ones) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  start(vs);
  const auto client = client_key::from(asio::ip::make_address("127.0.0.7"));
  for (const std::string target : {"a", "b"}) {
    engine_->table().apply_remote("web", client, target, std::chrono::minutes(10));
    EXPECT_EQ(who("127.0.0.7"), target);
  }
  engine_->table().apply_remote("web", client, "a", std::chrono::minutes(10));
  ASSERT_TRUE(engine_->set_real_server_state("web", "a", v1::REAL_SERVER_STATE_DRAIN));
  EXPECT_EQ(who("127.0.0.7"), "a") << "a draining server keeps a client the peer stuck to it";
  ASSERT_TRUE(engine_->set_real_server_state("web", "a", v1::REAL_SERVER_STATE_HALT));
  EXPECT_EQ(who("127.0.0.7"), "b") << "a halted server gets no client the peer stuck to it";
}

TEST_F(engine_test, halt_closes_open_connections_at_once) {
  backend a("a"), b("b");
  auto vs = service("web", {&a, &b});
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  start(vs);
  client open(port_.port(), "127.0.0.2", 2s);
  const std::string mine = open.read_line();
  const std::string other = mine == "a" ? "b" : "a";
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(engine_->set_real_server_state("web", mine, v1::REAL_SERVER_STATE_HALT));
  EXPECT_TRUE(open.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_EQ(who("127.0.0.2"), other) << "a halted server loses its persistent clients";
  EXPECT_EQ(server_status(engine_->status(), mine)->state(), v1::REAL_SERVER_STATE_HALT);
  EXPECT_EQ(engine_->set_real_server_state("web", "nope", v1::REAL_SERVER_STATE_HALT).error(),
            errc::unknown_real_server);
  EXPECT_EQ(engine_->set_real_server_state("nope", "a", v1::REAL_SERVER_STATE_HALT).error(),
            errc::unknown_service);
}

TEST_F(engine_test, all_down_without_fallback_closes_at_once) {
  backend a("a");
  auto vs = service("web", {&a});
  vs.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_HALT);
  start(vs);
  client c(port_.port(), nullptr, 2s);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_EQ(a.accepted(), 0);
}

TEST_F(engine_test, all_down_uses_the_fallback) {
  backend a("a"), fallback("sorry");
  auto vs = service("web", {&a});
  vs.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_HALT);
  vs.mutable_fallback()->set_ip("127.0.0.1");
  vs.mutable_fallback()->set_port(fallback.port());
  start(vs);
  EXPECT_EQ(who(), "sorry");
  ASSERT_TRUE(engine_->set_real_server_state("web", "a", v1::REAL_SERVER_STATE_ONLINE));
  EXPECT_EQ(who(), "a");
}

TEST_F(engine_test, client_that_sends_nothing_times_out) {
  backend a("a");
  auto vs = service("web", {&a});
  vs.mutable_timeouts()->set_client_ms(300);
  vs.mutable_timeouts()->set_server_ms(10000);
  start(vs);
  client c(port_.port(), nullptr, 5s);
  EXPECT_EQ(c.read_line(), "a");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GT(took, 200ms);
  EXPECT_LT(took, 3s);
}

TEST_F(engine_test, server_that_never_answers_times_out) {
  backend silent("silent", backend::mode::silent);
  auto vs = service("web", {&silent});
  vs.mutable_timeouts()->set_client_ms(10000);
  vs.mutable_timeouts()->set_server_ms(300);
  start(vs);
  client c(port_.port(), nullptr, 5s);
  c.send("GET / HTTP/1.0\r\n\r\n");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GT(took, 200ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
}

TEST_F(engine_test, relays_bulk_data_and_counts_it) {
  backend bulk("bulk", backend::mode::bulk);
  start(service("web", {&bulk}));
  client c(port_.port());
  EXPECT_EQ(c.drain(), static_cast<long long>(bulk.bulk_bytes));
  EXPECT_TRUE(eventually([&] {
    return engine_->status().virtual_services(0).bytes_out() == bulk.bulk_bytes;
  }));
}

TEST_F(engine_test, clients_that_vanish_leave_nothing_behind) {
  backend a("a");
  start(service("web", {&a}));
  for (int i = 0; i < 50; ++i) {
    client c(port_.port());
    c.send("half a req");
    c.reset();
  }
  EXPECT_TRUE(eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
  EXPECT_FALSE(who().empty()) << "still serving";
}

TEST_F(engine_test, reload_keeps_in_flight_connections) {
  backend a("a"), b("b"), c2("c");
  auto vs = service("web", {&a, &b});
  start(vs);
  client open(port_.port());
  const std::string mine = open.read_line();

  reserved_port other_port;
  v1::ClusterConfig next;
  next.set_generation(2);
  auto changed = service("web", {&a, &b, &c2}, {50, 50, 100});
  *next.add_virtual_services() = changed;
  auto added = service("api", {&c2});
  added.mutable_ports(0)->set_first(other_port.port());
  added.mutable_ports(0)->set_last(other_port.port());
  *next.add_virtual_services() = added;
  auto reloaded = engine_->reload(next);
  ASSERT_TRUE(reloaded) << reloaded.error();

  open.send("after reload\n");
  EXPECT_EQ(open.read_line(), "after reload");
  client api(other_port.port());
  EXPECT_EQ(api.read_line(), "c");
  std::map<std::string, int> count;
  for (int i = 0; i < 8; ++i) ++count[who()];
  EXPECT_EQ(count["c"], 4);
  auto s = engine_->status();
  EXPECT_EQ(s.generation(), 2u);
  EXPECT_EQ(s.virtual_services_size(), 2);
  EXPECT_GE(server_status(s, mine)->total_connections(), 1u) << "counters survive a reload";
}

TEST_F(engine_test, bad_reload_is_refused_and_old_config_stays) {
  backend a("a");
  start(service("web", {&a}));
  v1::ClusterConfig bad;
  bad.set_generation(2);
  auto vs = service("web", {&a});
  vs.mutable_real_servers(0)->set_ip("not-an-ip");
  *bad.add_virtual_services() = vs;
  auto refused = engine_->reload(bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), errc::invalid_config);
  EXPECT_NE(refused.error().message().find("real_servers[0].ip"), std::string::npos)
      << refused.error();
  EXPECT_EQ(who(), "a");
  EXPECT_EQ(engine_->status().generation(), 1u);
}

TEST_F(engine_test, removed_service_stops_listening) {
  backend a("a");
  start(service("web", {&a}));
  v1::ClusterConfig empty;
  empty.set_generation(2);
  ASSERT_TRUE(engine_->reload(empty));
  EXPECT_THROW(client c(port_.port()), boost::system::system_error);
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

TEST_F(engine_test, churn_leaks_no_descriptors) {
  backend a("a"), bulk("bulk", backend::mode::bulk);
  bulk.bulk_bytes = 20000;
  start(service("web", {&a, &bulk}));
  auto round = [&](int n) {
    for (int i = 0; i < n; ++i) {
      client c(port_.port());
      switch (i % 3) {
        case 0:
          c.read_line();
          c.shutdown_write();
          c.drain();
          break;
        case 1:
          c.reset();
          break;
        default:
          c.send("x\n");
          break;  // closes normally with data in flight
      }
    }
    return eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; });
  };
  ASSERT_TRUE(round(30));  // warm the pipe and buffer pools
  ASSERT_TRUE(eventually([&] { return a.accepted() + bulk.accepted() >= 30; }));
  std::this_thread::sleep_for(100ms);
  const auto before = open_fds();
  ASSERT_TRUE(round(300));
  // The in-test backends close their side on their own threads; a leak never settles.
  EXPECT_TRUE(eventually([&] { return open_fds() <= before + 4; })) << open_fds() << " > " << before << " + 4";
}

}  // namespace
}  // namespace lbha::proxy
