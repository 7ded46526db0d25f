// Two lbha-syncd daemons on loopback (127.0.0.2 and 127.0.0.3) with
// in-memory doubles for their proxyd tables: real sockets, real timers, TLS
// with a pair certificate made here (as pairing makes pair.pem).
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <thread>

#include "replicator/sync/syncd.hpp"
#include "tests/replicator/sync/fake_table.hpp"

namespace lbha::sync {
namespace {

const state::pair_certificate& pair_pem() {
  static const auto pair = state::make_pair_certificate("loopback-test").value();
  return pair;
}

bytes key(std::uint8_t last) { return {198, 51, 100, last}; }

std::uint16_t free_port(const char* address) {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address(address), 0});
  return a.local_endpoint().port();
}

node_settings settings(std::string name, std::string peer, std::uint16_t peer_port) {
  node_settings s;
  s.local_name = std::move(name);
  s.peers = {{.name = "", .addresses = {std::move(peer)}, .port = peer_port}};
  s.tables = {{.name = "web", .key = key_type::ipv4, .expire_ms = 600000, .servers = {"rs1", "rs2"}}};
  return s;
}

class loopback_pair : public ::testing::Test {
 protected:
  void SetUp() override {
    port_a_ = free_port("127.0.0.2");
    port_b_ = free_port("127.0.0.3");
    start_a();
    start_b();
  }
  void start_a() {
    a_ = std::make_unique<syncd>(io_, settings("lbha-a", "127.0.0.3", port_b_),
                                 syncd_options{.listen_addresses = {"127.0.0.2"}, .port = port_a_, .identity = pair_pem()},
                                 table_a_, clock_);
    ASSERT_TRUE(a_->start());
  }
  void start_b() {
    table_b_ = std::make_unique<fake_table>();
    b_ = std::make_unique<syncd>(io_, settings("lbha-b", "127.0.0.2", port_a_),
                                 syncd_options{.listen_addresses = {"127.0.0.3"}, .port = port_b_, .identity = pair_pem()},
                                 *table_b_, clock_);
    ASSERT_TRUE(b_->start());
  }
  // Runs the io_context until `done` or 10 s.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();  // it stops whenever it runs out of work
      io_.run_for(std::chrono::milliseconds(20));
    }
    return true;
  }
  bool connected(const syncd& d) {
    const auto s = d.status();
    return s.peers_size() == 1 && s.peers(0).connected();
  }

  asio::io_context io_;
  steady_clock clock_;
  std::uint16_t port_a_ = 0, port_b_ = 0;
  fake_table table_a_;
  std::unique_ptr<fake_table> table_b_;
  std::unique_ptr<syncd> a_, b_;
};

TEST_F(loopback_pair, entries_flow_both_ways) {
  ASSERT_TRUE(run_until([&] { return connected(*a_) && connected(*b_); }));
  table_a_.local({{"web", key(1), "rs2", 300000}, {"web", key(2), "rs1", 300000}});
  ASSERT_TRUE(run_until([&] { return table_b_->applied.size() == 2; }));
  EXPECT_EQ(table_b_->applied.at(key(1)).server, "rs2");
  EXPECT_LE(table_b_->applied.at(key(1)).expires_in_ms, 300000u);
  EXPECT_GE(table_b_->applied.at(key(1)).expires_in_ms, 290000u);

  table_b_->local({{"web", key(3), "rs1", 300000}});
  ASSERT_TRUE(run_until([&] { return table_a_.applied.size() == 1; }));
  EXPECT_EQ(table_a_.applied.at(key(3)).server, "rs1");
  EXPECT_EQ(a_->status().tables(0).entries(), 3u);
  EXPECT_EQ(b_->status().tables(0).entries(), 3u);
  a_->stop();
  b_->stop();
}

TEST_F(loopback_pair, restarted_peer_is_taught_everything) {
  ASSERT_TRUE(run_until([&] { return connected(*a_) && connected(*b_); }));
  std::vector<table_change> changes;
  for (int i = 1; i <= 200; ++i) {
    changes.push_back({"web", key(static_cast<std::uint8_t>(i)), i % 2 ? "rs1" : "rs2", 300000});
  }
  table_a_.local(changes);
  ASSERT_TRUE(run_until([&] { return table_b_->applied.size() == 200; }));

  b_->stop();
  // Let b's aborted handlers run before b goes away: they still refer to it.
  if (io_.stopped()) io_.restart();
  io_.poll();
  b_.reset();
  ASSERT_TRUE(run_until([&] { return !connected(*a_); }));
  start_b();
  ASSERT_TRUE(run_until([&] { return table_b_->applied.size() == 200; }));
  EXPECT_FALSE(b_->status().resync_pending());
  for (const auto& [k, e] : table_b_->applied) EXPECT_EQ(e.server, e.key[3] % 2 ? "rs1" : "rs2");
  a_->stop();
  b_->stop();
}

// The commit path: proxyd reloads first and sticks clients of a new
// persistent service before syncd knows the table; syncd's reload reads
// proxyd's table again, and the peer gets them over the same session.
TEST_F(loopback_pair, a_table_added_by_reload_gets_what_proxyd_stuck_before) {
  ASSERT_TRUE(run_until([&] { return connected(*a_) && connected(*b_); }));
  table_a_.local({{"web", key(1), "rs1", 300000}});
  ASSERT_TRUE(run_until([&] { return table_b_->applied.size() == 1; }));
  table_a_.local({{"api", key(7), "api1", 300000}});
  ASSERT_TRUE(run_until([&] { return a_->node().counters().ignored_local_changes == 1; }));

  const table_config api{.name = "api", .key = key_type::ipv4, .expire_ms = 600000,
                         .servers = {"api1"}};
  auto next_a = a_->node().settings();
  next_a.tables.push_back(api);
  auto next_b = b_->node().settings();
  next_b.tables.push_back(api);
  ASSERT_TRUE(a_->reconfigure(next_a, pair_pem()));
  ASSERT_TRUE(b_->reconfigure(next_b, pair_pem()));
  EXPECT_EQ(table_a_.refreshes, 1);
  ASSERT_TRUE(run_until([&] { return table_b_->applied.count(key(7)) == 1; }));
  EXPECT_EQ(table_b_->applied.at(key(7)).table, "api");
  EXPECT_EQ(table_b_->applied.at(key(7)).server, "api1");
  EXPECT_TRUE(connected(*a_));
  // A reload that changes nothing is not a refresh.
  EXPECT_FALSE(a_->reconfigure(next_a, pair_pem()));
  EXPECT_EQ(table_a_.refreshes, 1);
  a_->stop();
  b_->stop();
}

TEST_F(loopback_pair, refuses_a_connection_from_an_unconfigured_address) {
  asio::ip::tcp::socket s(io_);
  s.open(asio::ip::tcp::v4());
  s.bind({asio::ip::make_address("127.0.0.9"), 0});
  s.connect({asio::ip::make_address("127.0.0.2"), port_a_});
  const std::string hello = "HAProxyS 2.1\nlbha-a\nlbha-b 1 1\n";
  asio::write(s, asio::buffer(hello));
  ASSERT_TRUE(run_until([&] { return a_->status().refused_connections() == 1; }));
  io_.run_for(std::chrono::milliseconds(50));
  std::array<char, 16> buf;
  boost::system::error_code ec;
  const auto n = s.read_some(asio::buffer(buf), ec);
  EXPECT_EQ(n, 0u);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
  a_->stop();
  b_->stop();
}

// From the partner's address (127.0.0.3 on loopback: any process can bind
// it, as a spoofer on the LAN can send from it) without the pair's certificate.
TEST_F(loopback_pair, plaintext_from_the_partners_address_is_refused_and_counted) {
  asio::ip::tcp::socket s(io_);
  s.open(asio::ip::tcp::v4());
  s.bind({asio::ip::make_address("127.0.0.3"), 0});
  s.connect({asio::ip::make_address("127.0.0.2"), port_a_});
  const std::string hello = "HAProxyS 2.1\nlbha-a\nlbha-b 1 1\n";
  asio::write(s, asio::buffer(hello));
  ASSERT_TRUE(run_until([&] { return a_->status().refused_unauthenticated() == 1; }));
  std::array<char, 16> buf;
  boost::system::error_code ec;
  EXPECT_EQ(s.read_some(asio::buffer(buf), ec), 0u) << "no status line: closed";
  a_->stop();
  b_->stop();
}

TEST_F(loopback_pair, tls_with_another_certificate_is_refused_and_counted) {
  std::thread attacker([port = port_a_] {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.open(asio::ip::tcp::v4());
    s.bind({asio::ip::make_address("127.0.0.3"), 0});
    s.connect({asio::ip::make_address("127.0.0.2"), port});
    asio::ssl::context ctx(asio::ssl::context::tls);
    const auto own = state::make_pair_certificate("attacker").value();
    ctx.use_certificate_chain(asio::buffer(own.certificate_pem));
    ctx.use_private_key(asio::buffer(own.private_key_pem), asio::ssl::context::pem);
    ctx.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket&> tls(s, ctx);
    boost::system::error_code ec;
    tls.handshake(asio::ssl::stream_base::client, ec);
    if (!ec) asio::write(tls, asio::buffer(std::string("HAProxyS 2.1\nlbha-a\nlbha-b 1 1\n")), ec);
    std::array<char, 64> buf;
    while (!ec) tls.read_some(asio::buffer(buf), ec);
  });
  const bool refused = run_until([&] { return a_->status().refused_unauthenticated() == 1; });
  a_->stop();
  b_->stop();
  io_.run_for(std::chrono::milliseconds(50));
  attacker.join();
  EXPECT_TRUE(refused);
  EXPECT_EQ(a_->status().peers(0).updates_received(), 0u);
}

TEST_F(loopback_pair, a_flood_from_one_address_is_capped) {
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> flood;
  for (int i = 0; i < 10; ++i) {
    auto s = std::make_unique<asio::ip::tcp::socket>(io_);
    s->open(asio::ip::tcp::v4());
    s->bind({asio::ip::make_address("127.0.0.3"), 0});
    s->connect({asio::ip::make_address("127.0.0.2"), port_a_});
    flood.push_back(std::move(s));
  }
  // At most 4 from one address (b's own session may hold one of them).
  EXPECT_TRUE(run_until([&] { return a_->status().connections_over_limit() >= 6; }));
  a_->stop();
  b_->stop();
}

}  // namespace
}  // namespace lbha::sync
