// Loopback integration tests for the edges of the data plane: connect
// timeouts against an address that never answers, IPv6 VIPs, the per-service
// connection limit, fallback counters and the "bad input" list (real
// servers that reset or close mid-transfer, thousands of clients at once).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "common/config/config.hpp"
#include "proxy/engine.hpp"
#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;
using namespace lbha::proxy::test_support;

void add_server(v1::VirtualService& vs, const std::string& label, std::uint16_t port) {
  auto* rs = vs.add_real_servers();
  rs->set_label(label);
  rs->set_ip("127.0.0.1");
  rs->set_port(port);
  rs->set_weight(100);
  rs->set_state(v1::REAL_SERVER_STATE_ONLINE);
}

TEST_F(engine_test, connect_timeout_moves_on_to_the_next_server) {
  blackhole hole;
  backend a("a");
  auto vs = service("web", {&a});
  add_server(vs, "hole", hole.port());
  vs.mutable_timeouts()->set_connect_ms(300);
  start(vs);
  // Round robin over two servers: some of the clients are first sent to the
  // hole, wait out the connect timeout, and are then relayed to "a".
  int slow = 0;
  for (int i = 0; i < 4; ++i) {
    const auto before = std::chrono::steady_clock::now();
    EXPECT_EQ(who(), "a");
    const auto took = std::chrono::steady_clock::now() - before;
    EXPECT_LT(took, 3s);
    slow += took >= 250ms;
  }
  EXPECT_GE(slow, 1);
  auto s = engine_->status();
  EXPECT_EQ(server_status(s, "hole")->total_connections(), 0u) << "never connected";
  EXPECT_EQ(server_status(s, "hole")->current_connections(), 0u);
  EXPECT_EQ(server_status(s, "a")->total_connections(), 4u);
}

TEST_F(engine_test, connect_timeout_with_no_server_left_closes_the_client) {
  blackhole hole;
  v1::VirtualService vs = service("web", {});
  add_server(vs, "hole", hole.port());
  vs.mutable_timeouts()->set_connect_ms(300);
  start(vs);
  client c(port_.port(), nullptr, 5s);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(c.closed_by_peer());
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GT(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
}

TEST_F(engine_test, ipv6_vip_relays_and_sticks_by_ipv6_source) {
  reserved_port port6("::1");
  backend a("a", backend::mode::name_echo, "::1"), b("b", backend::mode::name_echo, "::1");
  auto vs = service("web6", {&a, &b});
  vs.set_ip("::1");
  vs.mutable_ports(0)->set_first(port6.port());
  vs.mutable_ports(0)->set_last(port6.port());
  for (auto& rs : *vs.mutable_real_servers()) rs.set_ip("::1");
  vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
  vs.mutable_persistence()->set_timeout_s(60);
  start(vs);
  client first(port6.port(), nullptr, 5s, "::1");
  const std::string mine = first.read_line();
  ASSERT_TRUE(mine == "a" || mine == "b") << mine;
  first.send("over six\n");
  EXPECT_EQ(first.read_line(), "over six");
  for (int i = 0; i < 20; ++i) {
    client c(port6.port(), nullptr, 5s, "::1");
    EXPECT_EQ(c.read_line(), mine);
  }
  const auto key = client_key::from(asio::ip::make_address("::1"));
  EXPECT_EQ(key.to_bytes().size(), 16u);
  std::vector<std::pair<std::string, std::string>> entries;  // (client bytes, real server)
  engine_->table().for_each(
      [&](const stick_change& c) { entries.emplace_back(c.client.to_bytes(), c.real_server); });
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].first, key.to_bytes());
  EXPECT_EQ(entries[0].second, mine);
  EXPECT_EQ(engine_->table().size(), 1u);
  EXPECT_EQ(engine_->status().virtual_services(0).total_connections(), 21u);
}

TEST_F(engine_test, max_connections_closes_clients_over_the_limit_at_once) {
  backend a("a");
  auto vs = service("web", {&a});
  vs.set_max_connections(2);
  start(vs);
  auto one = std::make_unique<client>(port_.port());
  client two(port_.port());
  ASSERT_EQ(one->read_line(), "a");
  ASSERT_EQ(two.read_line(), "a");
  client over(port_.port(), nullptr, 2s);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(over.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_EQ(a.accepted(), 2) << "a refused client never reaches a real server";
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 2; }));
  EXPECT_EQ(engine_->status().virtual_services(0).total_connections(), 2u)
      << "refused clients are not counted";
  one.reset();  // frees a slot
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 1; }));
  EXPECT_EQ(who(), "a");
}

TEST_F(engine_test, fallback_connections_are_counted) {
  backend a("a"), fallback("sorry");
  auto vs = service("web", {&a});
  vs.mutable_real_servers(0)->set_state(v1::REAL_SERVER_STATE_HALT);
  vs.mutable_fallback()->set_ip("127.0.0.1");
  vs.mutable_fallback()->set_port(fallback.port());
  start(vs);
  {
    client c(port_.port());
    EXPECT_EQ(c.read_line(), "sorry");
    c.send("hi\n");
    EXPECT_EQ(c.read_line(), "hi");
    auto s = engine_->status().virtual_services(0);
    ASSERT_TRUE(s.has_fallback());
    EXPECT_EQ(s.fallback().current_connections(), 1u);
  }
  EXPECT_TRUE(eventually([&] {
    auto s = engine_->status().virtual_services(0);
    return s.fallback().current_connections() == 0 && s.fallback().total_connections() == 1;
  }));
  auto s = engine_->status().virtual_services(0);
  EXPECT_EQ(s.fallback().label(), "fallback");
  EXPECT_EQ(s.fallback().ip(), "127.0.0.1");
  EXPECT_EQ(s.fallback().port(), fallback.port());
  EXPECT_EQ(s.fallback().bytes_in(), 3u);
  EXPECT_EQ(s.fallback().bytes_out(), 6u + 3u + 4u);  // "sorry", the echo, "bye" on EOF
  EXPECT_EQ(s.total_connections(), 1u);
  EXPECT_EQ(server_status(engine_->status(), "a")->total_connections(), 0u);
}

// deploy/README.md: fallback.port 0 (or absent) is the port the client used,
// as for a real server; common/config accepts it, so proxyd must too.
TEST_F(engine_test, fallback_without_a_port_is_the_clients_port) {
  backend a("a");
  auto vs = service("web", {&a});
  vs.mutable_fallback()->set_ip("127.0.0.2");
  start(vs);
  auto s = engine_->status().virtual_services(0);
  ASSERT_TRUE(s.has_fallback());
  EXPECT_EQ(s.fallback().ip(), "127.0.0.2");
  EXPECT_EQ(s.fallback().port(), 0u);
  v1::ClusterConfig config;
  *config.add_virtual_services() = vs;
  config::apply_defaults(config);
  const auto settings = settings_of(config.virtual_services(0));
  ASSERT_TRUE(settings.fallback);
  auto p = build_pool(config.virtual_services(0), settings, nullptr, nullptr);
  EXPECT_EQ(p->fallback->endpoint(8080),
            asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.2"), 8080));
}

TEST_F(engine_test, service_without_fallback_reports_none) {
  backend a("a");
  start(service("web", {&a}));
  EXPECT_FALSE(engine_->status().virtual_services(0).has_fallback());
}

TEST_F(engine_test, real_server_reset_closes_the_client_and_nothing_else) {
  backend r("r", backend::mode::reset);
  auto vs = service("web", {&r});
  start(vs);
  client c(port_.port(), nullptr, 5s);
  EXPECT_EQ(c.read_line(), "r");
  c.send("boom\n");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
  client again(port_.port());
  EXPECT_EQ(again.read_line(), "r") << "still serving";
}

TEST_F(engine_test, real_server_closing_mid_transfer_ends_the_client) {
  backend bulk("bulk", backend::mode::bulk_reset);
  bulk.bulk_bytes = 4 << 20;
  start(service("web", {&bulk}));
  for (int i = 0; i < 5; ++i) {
    client c(port_.port(), nullptr, 5s);
    // Read late, so that the reset finds data still queued in the proxy.
    std::this_thread::sleep_for(50ms);
    const auto before = std::chrono::steady_clock::now();
    const auto got = c.drain();  // -1 only on a receive timeout: the proxy must end it
    EXPECT_GE(got, 0);
    EXPECT_LE(got, static_cast<long long>(bulk.bulk_bytes));
    EXPECT_LT(std::chrono::steady_clock::now() - before, 3s);
  }
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
  EXPECT_TRUE(eventually(
      [&] { return server_status(engine_->status(), "bulk")->current_connections() == 0; }));
}

TEST_F(engine_test, request_and_half_close_sent_at_once_are_both_relayed) {
  // Data and FIN arrive together: one poller edge must deliver both.
  backend a("a");
  start(service("web", {&a}));
  for (int i = 0; i < 20; ++i) {
    client c(port_.port());
    c.send("ping\n");
    c.shutdown_write();
    EXPECT_EQ(c.read_line(), "a");
    EXPECT_EQ(c.read_line(), "ping");
    EXPECT_EQ(c.read_line(), "bye");
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_TRUE(
      eventually([&] { return engine_->status().virtual_services(0).current_connections() == 0; }));
}

TEST_F(engine_test, thousands_of_clients_at_once) {
  backend a("a"), b("b");
  start(service("web", {&a, &b}));
  // Plain sockets: a test client object costs an io_context (three descriptors) each.
  constexpr int n = 2000;
  std::vector<int> fds;
  struct closer {
    std::vector<int>& fds;
    ~closer() {
      for (int fd : fds) ::close(fd);
    }
  } close_all{fds};
  for (int i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_.port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << i;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  int answered = 0;
  for (int fd : fds) {
    char line[2];
    answered += ::recv(fd, line, sizeof line, MSG_WAITALL) == 2 && line[1] == '\n';
  }
  EXPECT_EQ(answered, n);
  EXPECT_EQ(engine_->status().virtual_services(0).current_connections(),
            static_cast<std::uint64_t>(n));
  for (int fd : fds) ::close(fd);
  fds.clear();
  EXPECT_TRUE(eventually(
      [&] { return engine_->status().virtual_services(0).current_connections() == 0; }, 10s));
  EXPECT_FALSE(who().empty()) << "still serving";
}

}  // namespace
}  // namespace lbha::proxy
