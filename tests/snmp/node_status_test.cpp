// node_status from one read: lbctl status's words for roles and states,
// the protocol from cluster.yaml, and what a daemon's silence leaves.
#include "snmp/node_status.hpp"

#include <gtest/gtest.h>

#include "tests/snmp/reads.hpp"

namespace lbha::snmp {
namespace {

TEST(node_status, from_the_seed_read) {
  const auto status = status_of(test_reads::seed());
  EXPECT_EQ(status.node_name, "lb1");
  EXPECT_TRUE(status.heartbeatd_up && status.proxyd_up && status.syncd_up && status.replicatord_up);
  EXPECT_EQ(status.role, ha_role::active);
  EXPECT_EQ(status.peer_role, ha_role::passive);
  EXPECT_TRUE(status.peer_alive);
  EXPECT_TRUE(status.vips_held);
  EXPECT_EQ(status.config_generation, 7u);
  ASSERT_EQ(status.virtual_services.size(), 1u);
  const auto& vs = status.virtual_services[0];
  EXPECT_EQ(vs.name, "DA_VIP");
  EXPECT_EQ(vs.ip, "192.0.2.10");
  EXPECT_EQ(vs.ports, "443");
  EXPECT_EQ(vs.protocol, "tcp");
  EXPECT_EQ(vs.current_connections, 3u);
  EXPECT_EQ(vs.total_connections, 5'000'000'000u);
  EXPECT_EQ(vs.state, service_state::degraded) << "RIP2 fails, RIP3 is drained";
  ASSERT_EQ(vs.real_servers.size(), 3u);
  EXPECT_EQ(vs.real_servers[0].name, "RIP1");
  EXPECT_EQ(vs.real_servers[0].state, server_state::up);
  EXPECT_EQ(vs.real_servers[0].current_connections, 2u);
  EXPECT_EQ(vs.real_servers[1].state, server_state::down);
  EXPECT_FALSE(vs.real_servers[1].check_up);
  EXPECT_EQ(vs.real_servers[2].state, server_state::drain);
  EXPECT_TRUE(vs.real_servers[2].check_up) << "drained, but its check passes";
}

TEST(node_status, a_halted_server_and_a_service_on_backup) {
  auto read = test_reads::seed();
  test_reads::server(read, 1).set_state(v1::REAL_SERVER_STATE_HALT);
  test_reads::server(read, 2).set_healthy(false);
  test_reads::server(read, 3).set_backup(true);
  test_reads::server(read, 3).set_state(v1::REAL_SERVER_STATE_ONLINE);
  const auto status = status_of(read);
  EXPECT_EQ(status.virtual_services[0].real_servers[0].state, server_state::halt);
  EXPECT_TRUE(status.virtual_services[0].real_servers[2].backup);
  EXPECT_EQ(status.virtual_services[0].state, service_state::on_backup);
}

TEST(node_status, a_silent_peer_has_no_role) {
  auto read = test_reads::seed();
  read.overview.ha->set_peer_alive(false);
  EXPECT_EQ(status_of(read).peer_role, ha_role::unknown);
}

TEST(node_status, daemons_that_did_not_answer) {
  auto read = test_reads::seed();
  read.overview.ha.reset();
  read.overview.proxy.reset();
  read.sync.reset();
  const auto status = status_of(read);
  EXPECT_FALSE(status.heartbeatd_up);
  EXPECT_FALSE(status.proxyd_up);
  EXPECT_FALSE(status.syncd_up);
  EXPECT_TRUE(status.replicatord_up);
  EXPECT_EQ(status.node_name, "lb1") << "from node.yaml";
  EXPECT_EQ(status.role, ha_role::unknown);
  EXPECT_TRUE(status.virtual_services.empty());
}

TEST(node_status, the_name_from_heartbeatd_without_node_yaml) {
  auto read = test_reads::seed();
  read.node.reset();
  read.overview.ha->set_node_name("lb9");
  EXPECT_EQ(status_of(read).node_name, "lb9");
}

TEST(node_status, without_cluster_yaml_the_protocol_is_unknown) {
  auto read = test_reads::seed();
  read.overview.config.reset();
  EXPECT_EQ(status_of(read).virtual_services[0].protocol, "");
}

TEST(node_status, with_last_known_keeps_what_a_silent_daemon_said) {
  const auto known = status_of(test_reads::seed());
  auto read = test_reads::seed();
  read.overview.ha.reset();
  read.overview.proxy.reset();
  const auto merged = with_last_known(known, status_of(read));
  EXPECT_FALSE(merged.heartbeatd_up) << "the up flags are the read's own";
  EXPECT_EQ(merged.role, ha_role::active);
  EXPECT_EQ(merged.config_generation, 7u);
  ASSERT_EQ(merged.virtual_services.size(), 1u);
  EXPECT_EQ(merged.virtual_services[0].real_servers.size(), 3u);

  auto answered = test_reads::seed();
  answered.overview.ha->set_role(v1::ROLE_PASSIVE);
  EXPECT_EQ(with_last_known(known, status_of(answered)).role, ha_role::passive)
      << "an answer replaces the last known";
}

}  // namespace
}  // namespace lbha::snmp
