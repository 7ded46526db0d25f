// transport with the UDP double: which socket each path sends from.
#include "heartbeatd/transport.hpp"

#include <gtest/gtest.h>

#include "tests/heartbeatd/doubles.hpp"

namespace lbha::heartbeat {
namespace {

asio::ip::udp::endpoint ep(const char* a) { return {asio::ip::make_address(a), 6694}; }

struct opened {
  fakes::fake_world world;
  std::vector<std::pair<std::size_t, std::string>> received;  // path, sender
  transport make(std::vector<asio::ip::udp::endpoint> peers,
                 std::vector<asio::ip::address> locals) {
    return transport(world.seams().open_udp, std::move(peers), std::move(locals),
                     [this](std::size_t path, std::span<const std::uint8_t>,
                            const asio::ip::udp::endpoint& from) {
                       received.emplace_back(path, from.address().to_string());
                     });
  }
};

TEST(transport, each_path_sends_from_its_own_local_address) {
  opened o;
  auto t = o.make({ep("192.0.2.12"), ep("198.51.100.12")},
                  {asio::ip::make_address("192.0.2.11"), asio::ip::make_address("198.51.100.11")});
  ASSERT_TRUE(t.open());
  ASSERT_EQ(o.world.ports.size(), 2u);
  const std::uint8_t datagram[4] = {1, 2, 3, 4};
  EXPECT_TRUE(t.send(0, datagram));
  EXPECT_TRUE(t.send(1, datagram));
  auto* a = o.world.port("192.0.2.11");
  auto* b = o.world.port("198.51.100.11");
  ASSERT_EQ(a->sent.size(), 1u);
  ASSERT_EQ(b->sent.size(), 1u);
  EXPECT_EQ(a->sent[0].second, ep("192.0.2.12"));
  EXPECT_EQ(b->sent[0].second, ep("198.51.100.12"));
}

TEST(transport, without_local_addresses_paths_of_a_family_share_the_wildcard_socket) {
  opened o;
  auto t = o.make({ep("192.0.2.12"), ep("198.51.100.12"), ep("2001:db8::12")}, {});
  ASSERT_TRUE(t.open());
  ASSERT_EQ(o.world.ports.size(), 2u);  // 0.0.0.0 and ::
  const std::uint8_t datagram[4] = {1, 2, 3, 4};
  for (std::size_t path = 0; path < 3; ++path) EXPECT_TRUE(t.send(path, datagram));
  EXPECT_EQ(o.world.port("0.0.0.0")->sent.size(), 2u);
  EXPECT_EQ(o.world.port("::")->sent.size(), 1u);
}

TEST(transport, a_datagram_is_reported_on_the_path_of_its_sender) {
  opened o;
  auto t = o.make({ep("192.0.2.12"), ep("198.51.100.12")},
                  {asio::ip::make_address("192.0.2.11"), asio::ip::make_address("198.51.100.11")});
  ASSERT_TRUE(t.open());
  const std::uint8_t datagram[4] = {1, 2, 3, 4};
  o.world.port("192.0.2.11")->on_datagram(datagram, ep("198.51.100.12"));
  o.world.port("192.0.2.11")->on_datagram(datagram, ep("192.0.2.99"));
  ASSERT_EQ(o.received.size(), 2u);
  EXPECT_EQ(o.received[0].first, 1u);
  EXPECT_EQ(o.received[1].first, transport::no_path);
}

TEST(transport, close_closes_every_socket_and_stops_sending) {
  opened o;
  auto t = o.make({ep("192.0.2.12")}, {asio::ip::make_address("192.0.2.11")});
  ASSERT_TRUE(t.open());
  t.close();
  EXPECT_FALSE(t.is_open());
  EXPECT_TRUE(o.world.ports[0]->closed);
  const std::uint8_t datagram[4] = {1, 2, 3, 4};
  EXPECT_FALSE(t.send(0, datagram));
}

}  // namespace
}  // namespace lbha::heartbeat
