// The feed on a recording session: every read published, no trap on the
// first, a trap per change after it, and changes across a silent daemon.
#include "snmp/status_feed.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "snmp/mib.hpp"
#include "tests/snmp/reads.hpp"

namespace lbha::snmp {
namespace {

using ::testing::IsEmpty;
using ::testing::SizeIs;

class recording_session final : public agentx_session {
 public:
  void publish(std::shared_ptr<const oid_map> values) override { published.push_back(values); }
  void notify(notification trap) override { traps.push_back(std::move(trap)); }
  agentx_counters counters() const override { return {}; }

  std::vector<std::shared_ptr<const oid_map>> published;
  std::vector<notification> traps;
};

TEST(status_feed, publishes_every_read_and_traps_only_changes) {
  recording_session session;
  status_feed feed(session);
  auto read = test_reads::seed();
  read.overview.ha->set_role(v1::ROLE_PASSIVE);
  feed.on_read(read);
  EXPECT_THAT(session.published, SizeIs(1));
  EXPECT_THAT(session.traps, IsEmpty()) << "nothing to compare the first read with";
  EXPECT_EQ(session.published[0]->at(mib::scalar(mib::node_object::ha_role)), value{integer32{2}});

  feed.on_read(read);
  EXPECT_THAT(session.traps, IsEmpty());

  read.overview.ha->set_role(v1::ROLE_ACTIVE);
  test_reads::server(read, 1).set_healthy(false);
  feed.on_read(read);
  ASSERT_THAT(session.traps, SizeIs(2));
  EXPECT_EQ(session.traps[0].trap, mib::role_change);
  EXPECT_EQ(session.traps[1].trap, mib::real_server_down);
  EXPECT_EQ(session.published.back()->at(mib::scalar(mib::node_object::ha_role)),
            value{integer32{3}});
  EXPECT_EQ(feed.snapshots(), 3u);
}

TEST(status_feed, a_change_while_proxyd_was_silent_is_still_a_trap) {
  recording_session session;
  status_feed feed(session);
  auto read = test_reads::seed();
  feed.on_read(read);
  auto silent = read;
  silent.overview.proxy.reset();
  feed.on_read(silent);
  EXPECT_THAT(session.traps, IsEmpty()) << "silence is not a change";
  EXPECT_EQ(session.published.back()->count(mib::vs_cell(mib::vs_column::name, 1)), 0u)
      << "the MIB shows the read as it is: no services";
  test_reads::server(read, 1).set_healthy(false);
  feed.on_read(read);
  ASSERT_THAT(session.traps, SizeIs(1));
  EXPECT_EQ(session.traps[0].trap, mib::real_server_down);
}

}  // namespace
}  // namespace lbha::snmp
