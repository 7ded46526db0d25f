// The whole daemon in-process: node.yaml and cluster.yaml in a temp
// directory, the shared runtime with proxyd's spec on a thread, SIGTERM to stop it.
#include "proxy/daemon.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include "common/grpc_unix.hpp"
#include "lbha/v1/proxy.grpc.pb.h"
#include "tests/proxy/test_net.hpp"

namespace lbha::proxy {
namespace {

using namespace std::chrono_literals;
using namespace lbha::proxy::test_support;

class daemon_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbha-proxyd-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_ / "etc");
    std::filesystem::create_directories(dir_ / "run");
    std::filesystem::create_directories(dir_ / "state");
    std::ofstream(dir_ / "node.yaml")
        << "node_name: test\n"
           "interface: lo\n"
           "local_addresses: [127.0.0.1]\n"
           "peer_addresses: [127.0.0.2]\n"
           "directories: {config_dir: "
        << (dir_ / "etc").string() << ", state_dir: " << (dir_ / "state").string()
        << ", run_dir: " << (dir_ / "run").string() << "}\n"
        << "proxy: {threads: 2}\n";
    std::ofstream(dir_ / "etc" / "cluster.yaml")
        << "generation: 1\n"
           "virtual_services:\n"
           "  - label: web\n"
           "    ip: 127.0.0.1\n"
           "    ports: "
        << port_.port() << "\n"
        << "    persistence: {mode: source_ip, timeout: 30m}\n"
           "    check: {type: none}\n"
           "    real_servers:\n"
           "      - {label: a, ip: 127.0.0.1, port: "
        << a_.port() << "}\n";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::future<int> run() {
    daemon_options options;
    options.node_config = dir_ / "node.yaml";
    options.log_level = "debug";  // the shutdown steps, should one hang
    runtime_ = std::make_unique<daemon_runtime>(proxyd_spec(worker_scheduling::normal), options,
                                                clock_, supervisor_);
    if (auto r = runtime_->start(); !r) ADD_FAILURE() << r.error();
    return std::async(std::launch::async, [this] {
      runtime_->run();
      return 0;
    });
  }

  steady_clock clock_;
  systemd_supervisor supervisor_;  // no NOTIFY_SOCKET here: silent
  std::unique_ptr<daemon_runtime> runtime_;
  std::filesystem::path dir_;
  reserved_port port_;
  backend a_{"a"};
};

TEST_F(daemon_test, sigterm_stops_it_promptly_while_syncd_holds_table_streams_open) {
  auto exit_code = run();
  auto stub = v1::Proxy::NewStub(unix_channel(socket_path(dir_ / "run", "proxyd")));
  bool ready = false;
  for (int i = 0; i < 500 && !ready; ++i) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 1s);
    v1::ReadyReply reply;
    ready = stub->Ready(&context, v1::ReadyRequest{}, &reply).ok() && reply.ready();
    if (!ready) std::this_thread::sleep_for(10ms);
  }
  ASSERT_TRUE(ready);
  {
    client c(port_.port());
    EXPECT_EQ(c.read_line(), "a") << "serving";
  }

  // What syncd holds for its whole life: a WatchTable stream being read and
  // an ApplyTable stream it writes batches to and never closes.
  grpc::ClientContext watch_context, apply_context;
  auto watch = stub->WatchTable(&watch_context, v1::WatchTableRequest{});
  v1::ProxyResult apply_result;
  auto apply = stub->ApplyTable(&apply_context, &apply_result);
  v1::StickBatch batch;
  auto* e = batch.add_entries();
  e->set_virtual_service("web");
  e->set_client(std::string("\xc6\x33\x64\x07", 4));  // 198.51.100.7
  e->set_real_server("a");
  e->set_expires_in_ms(60000);
  ASSERT_TRUE(apply->Write(batch));
  std::thread reader([&] {
    v1::StickBatch b;
    while (watch->Read(&b)) {
    }
  });

  const auto before = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  const bool stopped = exit_code.wait_for(5s) == std::future_status::ready;
  const auto took = std::chrono::steady_clock::now() - before;
  EXPECT_TRUE(stopped) << "the runtime did not return";
  if (!stopped) std::abort();  // a hung daemon thread cannot be joined
  EXPECT_EQ(exit_code.get(), 0);
  EXPECT_LT(took, shutdown_deadline + 1500ms);

  reader.join();  // the server ended the stream
  watch->Finish();
  apply->Finish();
  EXPECT_THROW(client(port_.port()), boost::system::system_error) << "listeners closed";
}

}  // namespace
}  // namespace lbha::proxy
