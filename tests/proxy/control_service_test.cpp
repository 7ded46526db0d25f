// The gRPC service over a real Unix socket, against a running engine.
#include "proxy/control_service.hpp"

#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "common/grpc_unix.hpp"
#include "tests/proxy/engine_fixture.hpp"

namespace lbha::proxy {
namespace {

using namespace lbha::proxy::test_support;

class control_service_test : public engine_test {
 protected:
  void serve() {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbha-proxy-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    // The runtime's reloader, as far as the engine goes: a carried config is
    // applied, re-reading the files is not possible here.
    service_ = std::make_unique<control_service>(
        *engine_, [this](const v1::ClusterConfig* config) -> result<void> {
          if (config == nullptr) return error(std::errc::invalid_argument, "no cluster.yaml in this test");
          return engine_->reload(*config);
        });
    auto server = start_unix_server(socket_path(dir_, "proxyd"), {service_.get()});
    ASSERT_TRUE(server) << server.error().message();
    server_ = std::move(server.value());
    stub_ = v1::Proxy::NewStub(unix_channel(socket_path(dir_, "proxyd")));
  }
  void TearDown() override {
    if (service_) service_->stop();
    if (server_) server_->shutdown(std::chrono::system_clock::now() + 1s);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    engine_test::TearDown();
  }

  v1::VirtualService sticky_web(backend& a, backend& b) {
    auto vs = service("web", {&a, &b});
    vs.mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
    vs.mutable_persistence()->set_timeout_s(600);
    return vs;
  }

  std::filesystem::path dir_;
  std::unique_ptr<control_service> service_;
  std::unique_ptr<unix_server> server_;
  std::unique_ptr<v1::Proxy::Stub> stub_;
};

// Collects WatchTable batches on a thread until cancelled.
class table_watcher {
 public:
  explicit table_watcher(v1::Proxy::Stub& stub) {
    reader_ = stub.WatchTable(&context_, v1::WatchTableRequest{});
    thread_ = std::thread([this] {
      v1::StickBatch batch;
      while (reader_->Read(&batch)) {
        std::lock_guard lock(mutex_);
        for (const auto& e : batch.entries()) entries_.push_back(e);
      }
    });
  }
  ~table_watcher() {
    context_.TryCancel();
    thread_.join();
  }
  std::vector<v1::StickEntry> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<v1::StickBatch>> reader_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<v1::StickEntry> entries_;
};

std::string bytes_of(const char* ip) { return client_key::from(asio::ip::make_address(ip)).to_bytes(); }

TEST_F(control_service_test, status_ready_and_real_server_state) {
  backend a("a"), b("b");
  start(service("web", {&a, &b}));
  serve();
  grpc::ClientContext c1;
  v1::ReadyReply ready;
  ASSERT_TRUE(stub_->Ready(&c1, {}, &ready).ok());
  EXPECT_TRUE(ready.ready());

  who();
  grpc::ClientContext c2;
  v1::ProxyStatus status;
  ASSERT_TRUE(stub_->GetStatus(&c2, {}, &status).ok());
  ASSERT_EQ(status.virtual_services_size(), 1);
  EXPECT_EQ(status.virtual_services(0).label(), "web");
  EXPECT_EQ(status.virtual_services(0).total_connections(), 1u);
  EXPECT_EQ(status.virtual_services(0).real_servers_size(), 2);

  v1::SetRealServerStateRequest request;
  request.set_virtual_service("web");
  request.set_real_server("a");
  request.set_state(v1::REAL_SERVER_STATE_DRAIN);
  grpc::ClientContext c3;
  v1::ProxyResult result;
  ASSERT_TRUE(stub_->SetRealServerState(&c3, request, &result).ok());
  EXPECT_TRUE(result.ok()) << result.message();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(who(), "b");

  request.set_real_server("nobody");
  grpc::ClientContext c4;
  ASSERT_TRUE(stub_->SetRealServerState(&c4, request, &result).ok());
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("nobody"), std::string::npos);
}

TEST_F(control_service_test, reload_applies_good_and_refuses_bad_configs) {
  backend a("a"), b("b");
  start(service("web", {&a}));
  serve();
  v1::ReloadRequest request;
  request.mutable_config()->set_generation(2);
  *request.mutable_config()->add_virtual_services() = service("web", {&b});
  grpc::ClientContext c1;
  v1::ReloadResult result;
  ASSERT_TRUE(stub_->Reload(&c1, request, &result).ok());
  EXPECT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(who(), "b");

  request.mutable_config()->set_generation(3);
  request.mutable_config()->mutable_virtual_services(0)->set_ip("300.1.2.3");
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->Reload(&c2, request, &result).ok());
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.message().find("virtual_services[0].ip"), std::string::npos) << result.message();
  EXPECT_EQ(who(), "b");

  grpc::ClientContext c3;
  ASSERT_TRUE(stub_->Reload(&c3, v1::ReloadRequest{}, &result).ok());
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.message(), "no cluster.yaml in this test");
}

TEST_F(control_service_test, watch_streams_local_changes_but_not_applied_ones) {
  backend a("a"), b("b");
  start(sticky_web(a, b));
  serve();
  table_watcher watcher(*stub_);
  // The stream is live once a change made now shows up on it: each try is a
  // new client, because only new entries (not quick re-uses) are published.
  int next_client = 2;
  ASSERT_TRUE(eventually([&] {
    who(("127.0.0." + std::to_string(next_client++)).c_str());
    return !watcher.entries().empty();
  }));
  const auto local = watcher.entries().back();
  EXPECT_EQ(local.virtual_service(), "web");
  // One of the clients tried (a batch may arrive after the next try).
  ASSERT_EQ(local.client().size(), 4u);
  EXPECT_EQ(local.client().substr(0, 3), bytes_of("127.0.0.0").substr(0, 3));
  EXPECT_GE(static_cast<unsigned char>(local.client()[3]), 2);
  EXPECT_LT(static_cast<unsigned char>(local.client()[3]), next_client);
  EXPECT_TRUE(local.real_server() == "a" || local.real_server() == "b");
  EXPECT_GT(local.expires_in_ms(), 590000u);
  EXPECT_LE(local.expires_in_ms(), 600000u);

  // An entry from the peer is applied (and steers the client) but is not echoed.
  // Its client is far above the ones the loop above tried (a slow start may
  // take several tries; one of them must not be this client).
  ASSERT_LT(next_client, 200);
  const std::string remote_server = local.real_server() == "a" ? "b" : "a";
  v1::StickBatch batch;
  auto* e = batch.add_entries();
  e->set_virtual_service("web");
  e->set_client(bytes_of("127.0.0.200"));
  e->set_real_server(remote_server);
  e->set_expires_in_ms(300000);
  auto* junk = batch.add_entries();
  junk->set_virtual_service("web");
  junk->set_client("xyz");
  junk->set_real_server("a");
  grpc::ClientContext c1;
  v1::ProxyResult result;
  auto writer = stub_->ApplyTable(&c1, &result);
  ASSERT_TRUE(writer->Write(batch));
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(result.message(), "applied 1, skipped 1");

  std::this_thread::sleep_for(400ms);  // longer than one WatchTable batching period
  for (const auto& entry : watcher.entries()) EXPECT_NE(entry.client(), bytes_of("127.0.0.200"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(who("127.0.0.200"), remote_server);
}

TEST_F(control_service_test, snapshot_streams_the_whole_table_in_batches) {
  backend a("a"), b("b");
  start(sticky_web(a, b));
  serve();
  for (int i = 0; i < 2500; ++i) {
    auto k = client_key::from(asio::ip::make_address("2001:db8::"));
    k.bytes[14] = static_cast<std::uint8_t>(i >> 8);
    k.bytes[15] = static_cast<std::uint8_t>(i);
    engine_->table().apply_remote("web", k, i % 2 ? "a" : "b", 60s);
  }
  grpc::ClientContext c1;
  auto reader = stub_->SnapshotTable(&c1, {});
  v1::StickBatch batch;
  int batches = 0, entries = 0;
  while (reader->Read(&batch)) {
    ++batches;
    entries += batch.entries_size();
    for (const auto& e : batch.entries()) {
      EXPECT_EQ(e.client().size(), 16u);
      EXPECT_GT(e.expires_in_ms(), 50000u);
    }
  }
  EXPECT_TRUE(reader->Finish().ok());
  EXPECT_EQ(entries, 2500);
  EXPECT_GE(batches, 3);
}

}  // namespace
}  // namespace lbha::proxy
