// Which changes between two reads are traps: the role, a real server's
// check; by name, never on a daemon's silence or a config change alone.
#include "snmp/trap_events.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snmp/mib.hpp"
#include "tests/snmp/reads.hpp"

namespace lbha::snmp {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(trap_events, none_between_equal_reads) {
  const auto status = status_of(test_reads::seed());
  EXPECT_THAT(trap_events(status, status), IsEmpty());
}

TEST(trap_events, a_role_change) {
  const auto before = status_of(test_reads::seed());
  auto read = test_reads::seed();
  read.overview.ha->set_role(v1::ROLE_PASSIVE);
  EXPECT_THAT(trap_events(before, status_of(read)),
              ElementsAre(trap_event{role_changed{ha_role::active, ha_role::passive}}));
}

TEST(trap_events, no_role_change_to_or_from_unknown) {
  const auto known = status_of(test_reads::seed());
  auto silent = test_reads::seed();
  silent.overview.ha.reset();
  EXPECT_THAT(trap_events(known, status_of(silent)), IsEmpty());
  EXPECT_THAT(trap_events(status_of(silent), known), IsEmpty());
}

TEST(trap_events, a_real_server_down_and_up) {
  const auto before = status_of(test_reads::seed());
  auto read = test_reads::seed();
  test_reads::server(read, 1).set_healthy(false);  // RIP1 fails
  test_reads::server(read, 2).set_healthy(true);   // RIP2 passes again
  EXPECT_THAT(trap_events(before, status_of(read)),
              ElementsAre(trap_event{real_server_changed{1, 1, false}},
                          trap_event{real_server_changed{1, 2, true}}));
}

TEST(trap_events, operator_states_are_not_traps) {
  const auto before = status_of(test_reads::seed());
  auto read = test_reads::seed();
  test_reads::server(read, 1).set_state(v1::REAL_SERVER_STATE_HALT);
  test_reads::server(read, 3).set_state(v1::REAL_SERVER_STATE_ONLINE);
  EXPECT_THAT(trap_events(before, status_of(read)), IsEmpty());
}

TEST(trap_events, servers_are_matched_by_name_not_position) {
  const auto before = status_of(test_reads::seed());
  auto read = test_reads::seed();
  auto* servers = read.overview.proxy->mutable_virtual_services(0)->mutable_real_servers();
  servers->SwapElements(0, 1);  // RIP2 first now, still failing; RIP1 second, still up
  test_reads::add_server(*read.overview.proxy->mutable_virtual_services(0), "RIP4", "198.51.100.14",
                         false);  // new: no trap
  EXPECT_THAT(trap_events(before, status_of(read)), IsEmpty());
  test_reads::server(read, 2).set_healthy(false);  // RIP1, at its new place
  EXPECT_THAT(trap_events(before, status_of(read)),
              ElementsAre(trap_event{real_server_changed{1, 2, false}}));
}

TEST(trap_events, notifications_carry_the_mib_objects) {
  auto read = test_reads::seed();
  read.overview.ha->set_role(v1::ROLE_FAULT);
  const auto after = status_of(read);
  const auto role = notification_of(role_changed{ha_role::active, ha_role::fault}, after);
  EXPECT_EQ(role.trap, mib::role_change);
  EXPECT_THAT(role.objects,
              ElementsAre(varbind{mib::scalar(mib::node_object::name), std::string("lb1")},
                          varbind{mib::previous_role(), integer32{3}},
                          varbind{mib::scalar(mib::node_object::ha_role), integer32{4}}));

  const auto down = notification_of(real_server_changed{1, 2, false}, after);
  EXPECT_EQ(down.trap, mib::real_server_down);
  EXPECT_THAT(
      down.objects,
      ElementsAre(varbind{mib::vs_cell(mib::vs_column::name, 1), std::string("DA_VIP")},
                  varbind{mib::rs_cell(mib::rs_column::name, 1, 2), std::string("RIP2")},
                  varbind{mib::rs_cell(mib::rs_column::ip, 1, 2), std::string("198.51.100.12")},
                  varbind{mib::rs_cell(mib::rs_column::port, 1, 2), gauge32{443}},
                  varbind{mib::rs_cell(mib::rs_column::state, 1, 2), integer32{2}}));
  EXPECT_EQ(notification_of(real_server_changed{1, 1, true}, after).trap, mib::real_server_up);
}

}  // namespace
}  // namespace lbha::snmp
