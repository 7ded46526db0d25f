// The read behind /metrics against in-process doubles of the daemons on Unix
// sockets in a temp run dir: each daemon's answer lands in its place, and one
// that is not running is named and costs no more than its own absence.
#include "web/metrics_source.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/grpc_unix.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/web/fake_daemons.hpp"

namespace lbha::web {
namespace {

using test_doubles::fake_ha;
using test_doubles::fake_proxy;
using test_doubles::fake_sync;

class metrics_source : public ::testing::Test {
 protected:
  void SetUp() override {
    context_.run_dir = dir_.path();
    context_.config_dir = dir_.path();
    context_.node_config = dir_ / "node.yaml";
  }
  void TearDown() override {
    for (auto& server : servers_) server->shutdown();
  }
  void serve(std::string_view daemon, grpc::Service& service) {
    auto server = start_unix_server(socket_path(dir_.path(), daemon), {&service});
    ASSERT_TRUE(server.has_value());
    servers_.push_back(std::move(server.value()));
  }

  test_support::scratch_dir dir_{"ms"};  // short: the sockets' paths stay under 108 bytes
  cli::cli_context context_;
  std::vector<std::unique_ptr<unix_server>> servers_;
  fake_ha ha_;
  fake_proxy proxy_;
  fake_sync sync_;
};

TEST_F(metrics_source, reads_every_daemon_that_answers_and_names_the_one_that_does_not) {
  serve("heartbeatd", ha_);
  serve("proxyd", proxy_);
  serve("syncd", sync_);
  ASSERT_TRUE(write_file_atomically(context_.node_config,
                                    "node_name: lb1\ninterface: lo\nlocal_addresses: [192.0.2.1]\n"
                                    "peer_addresses: [192.0.2.2]\n"
                                    "proxy: {stick_table_size: 5000}\n")
                  .has_value());
  const auto read = read_node(context_);
  ASSERT_TRUE(read.overview.ha.has_value()) << read.overview.ha_error;
  EXPECT_EQ(read.overview.ha->node_name(), "lb1");
  ASSERT_TRUE(read.overview.proxy.has_value()) << read.overview.proxy_error;
  EXPECT_EQ(read.overview.proxy->generation(), 7u);
  ASSERT_TRUE(read.sync.has_value()) << read.sync_error;
  EXPECT_TRUE(read.sync->paired());
  EXPECT_FALSE(read.replication.has_value());
  EXPECT_NE(read.replication_error.find("lbha-replicatord did not answer on " +
                                        (dir_ / "replicatord.sock").string()),
            std::string::npos)
      << read.replication_error;
  ASSERT_TRUE(read.node.has_value());
  EXPECT_EQ(read.node->proxy().stick_table_size(), 5000u);

  const auto text = render_metrics(read);
  EXPECT_NE(text.find("lbha_daemon_up{daemon=\"replicatord\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lbha_daemon_up{daemon=\"syncd\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lbha_sticktable_size 5000\n"), std::string::npos) << text;
}

TEST_F(metrics_source, nothing_running_is_a_quick_read_of_four_errors_not_a_failure) {
  const auto start = std::chrono::steady_clock::now();
  const auto read = read_node(context_);
  // A missing socket fails at once; nothing here waits out a deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(400));
  EXPECT_FALSE(read.overview.ha || read.overview.proxy || read.sync || read.replication);
  for (const auto* error : {&read.overview.ha_error, &read.overview.proxy_error, &read.sync_error,
                            &read.replication_error}) {
    EXPECT_NE(error->find("did not answer on " + dir_.path().string()), std::string::npos)
        << *error;
  }
  EXPECT_FALSE(read.node.has_value());  // no node.yaml: the table's size is left out
}

}  // namespace
}  // namespace lbha::web
