// reload_in_order over a recording double of each daemon's Reload: the order
// every commit reloads a node's daemons in, and what the commit reports when
// one of them refuses.
#include <gtest/gtest.h>

#include "replicator/pairing/local_daemons.hpp"
#include "tests/replicator/pairing/test_support.hpp"

namespace lbha::pairing {
namespace {

using testing::recording_rpc;

const std::vector<std::string> all_three{"proxyd", "syncd", "heartbeatd"};

TEST(reload_in_order, proxyd_then_syncd_then_heartbeatd_with_the_committed_config) {
  recording_rpc rpc;
  const auto config = testing::one_service_config();
  const auto out = reload_in_order(rpc, &config);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.summary, "reloaded proxyd, reloaded syncd, reloaded heartbeatd");
  EXPECT_EQ(rpc.asked, all_three);
  for (const auto& request : rpc.requests) {
    ASSERT_TRUE(request.has_config());
    EXPECT_EQ(request.config().generation(), config.generation());
    EXPECT_EQ(request.config().virtual_services_size(), config.virtual_services_size());
  }
}

TEST(reload_in_order, without_a_config_the_daemons_read_their_files) {
  recording_rpc rpc;
  EXPECT_TRUE(reload_in_order(rpc, nullptr).ok);
  EXPECT_EQ(rpc.asked, all_three);
  for (const auto& request : rpc.requests) EXPECT_FALSE(request.has_config());
}

TEST(reload_in_order, a_daemon_not_running_is_not_an_error) {
  recording_rpc rpc;
  rpc.not_running = {"syncd"};
  const auto config = testing::one_service_config();
  const auto out = reload_in_order(rpc, &config);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.summary, "reloaded proxyd, syncd not running, reloaded heartbeatd");
  EXPECT_EQ(rpc.asked, all_three);
}

TEST(reload_in_order, a_refusal_names_the_daemon_and_stops_there) {
  recording_rpc rpc;
  rpc.refusing = "syncd";
  const auto config = testing::one_service_config();
  const auto out = reload_in_order(rpc, &config);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.summary,
            "reloaded proxyd, syncd refused the config: (test); not asked: heartbeatd");
  EXPECT_EQ(rpc.asked, (std::vector<std::string>{"proxyd", "syncd"}));

  recording_rpc first;
  first.refusing = "proxyd";
  EXPECT_EQ(reload_in_order(first, &config).summary,
            "proxyd refused the config: (test); not asked: syncd, heartbeatd");
}

TEST(reload_in_order, a_daemon_that_does_not_answer_fails_the_reload) {
  recording_rpc rpc;
  rpc.silent = {"heartbeatd"};
  const auto out = reload_in_order(rpc, nullptr);
  EXPECT_FALSE(out.ok);
  EXPECT_EQ(out.summary,
            "reloaded proxyd, reloaded syncd, heartbeatd reload failed: Deadline Exceeded");
}

// The gRPC implementation on a node where nothing runs yet (before install).
TEST(reload_in_order, a_grpc_node_without_daemons_reports_none_running) {
  testing::temp_dir dir;
  grpc_local_daemons daemons(dir.path());
  const auto out = daemons.reload(nullptr);
  EXPECT_TRUE(out.ok);
  EXPECT_EQ(out.summary, "proxyd not running, syncd not running, heartbeatd not running");
}

}  // namespace
}  // namespace lbha::pairing
