#include <gtest/gtest.h>

#include "replicator/sync/settings.hpp"

namespace lbha::sync {
namespace {

TEST(settings, one_table_per_persistent_service) {
  lbha::v1::ClusterConfig cluster;
  auto* web = cluster.add_virtual_services();
  web->set_label("web");
  web->set_ip("192.0.2.10");
  web->mutable_persistence()->set_mode(lbha::v1::Persistence::MODE_SOURCE_IP);
  web->mutable_persistence()->set_timeout_s(600);
  web->add_real_servers()->set_label("rs1");
  web->add_real_servers()->set_label("rs2");
  auto* plain = cluster.add_virtual_services();
  plain->set_label("plain");
  plain->set_ip("192.0.2.11");
  plain->mutable_persistence()->set_mode(lbha::v1::Persistence::MODE_NONE);
  auto* v6 = cluster.add_virtual_services();
  v6->set_label("web6");
  v6->set_ip("2001:db8::10");
  v6->mutable_persistence()->set_mode(lbha::v1::Persistence::MODE_SOURCE_IP);
  v6->mutable_persistence()->set_timeout_s(1800);

  lbha::v1::NodeConfig node;
  node.set_node_name("lb1");
  node.add_peer_addresses("198.51.100.2");
  node.add_peer_addresses("203.0.113.2");
  node.mutable_ports()->set_sync(7778);
  peer_config hap;
  ASSERT_TRUE(parse_peer_spec("hap1=127.0.0.1:17788", hap));

  const auto s = settings_from(node, cluster, {hap});
  EXPECT_EQ(s.local_name, "lb1");
  ASSERT_EQ(s.tables.size(), 2u);
  EXPECT_EQ(s.tables[0].name, "web");
  EXPECT_EQ(s.tables[0].key, key_type::ipv4);
  EXPECT_EQ(s.tables[0].expire_ms, 600000u);
  EXPECT_EQ(s.tables[0].servers, (std::vector<std::string>{"rs1", "rs2"}));
  EXPECT_EQ(s.tables[1].name, "web6");
  EXPECT_EQ(s.tables[1].key, key_type::ipv6);
  EXPECT_EQ(s.tables[1].key_length(), 16u);
  ASSERT_EQ(s.peers.size(), 2u);
  EXPECT_EQ(s.peers[0].name, "");
  EXPECT_EQ(s.peers[0].addresses, (std::vector<std::string>{"198.51.100.2", "203.0.113.2"}));
  EXPECT_EQ(s.peers[0].port, 7778);
  EXPECT_EQ(s.peers[1].name, "hap1");
  EXPECT_EQ(s.peers[1].addresses, (std::vector<std::string>{"127.0.0.1"}));
  EXPECT_EQ(s.peers[1].port, 17788);
}

TEST(settings, the_store_is_bounded_like_proxyds_stick_table) {
  lbha::v1::NodeConfig node;
  node.set_node_name("lb1");
  node.mutable_proxy()->set_stick_table_size(5000);
  EXPECT_EQ(settings_from(node, {}, {}).max_entries, 5000u);
}

TEST(settings, peer_specs) {
  peer_config p;
  ASSERT_TRUE(parse_peer_spec("h=[::1]:7778", p));
  EXPECT_EQ(p.addresses[0], "::1");
  EXPECT_FALSE(parse_peer_spec("=127.0.0.1:1", p));
  EXPECT_FALSE(parse_peer_spec("h=127.0.0.1", p));
  EXPECT_FALSE(parse_peer_spec("h=127.0.0.1:0", p));
  EXPECT_FALSE(parse_peer_spec("h=127.0.0.1:70000", p));
  EXPECT_FALSE(parse_peer_spec("h=not-an-ip:7778", p));
}

}  // namespace
}  // namespace lbha::sync
