// grpc_table_port against an in-process lbha.v1.Proxy double on a Unix
// socket: snapshot then watch, apply batches, and re-sync after proxyd
// restarts.
#include <gtest/gtest.h>

#include <unistd.h>

#include <condition_variable>
#include <functional>
#include <mutex>

#include "common/grpc_unix.hpp"
#include "replicator/sync/grpc_table_port.hpp"

namespace lbha::sync {
namespace {

class fake_proxy final : public lbha::v1::Proxy::Service {
 public:
  grpc::Status WatchTable(grpc::ServerContext* context, const lbha::v1::WatchTableRequest*,
                          grpc::ServerWriter<lbha::v1::StickBatch>* writer) override {
    std::unique_lock lock(mutex_);
    ++watchers_;
    while (!context->IsCancelled() && !closing_) {
      while (!pending_.empty()) {
        auto batch = pending_.front();
        pending_.pop_front();
        lock.unlock();
        writer->Write(batch);
        lock.lock();
      }
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    }
    --watchers_;
    return grpc::Status::OK;
  }
  grpc::Status SnapshotTable(grpc::ServerContext*, const lbha::v1::SnapshotTableRequest*,
                             grpc::ServerWriter<lbha::v1::StickBatch>* writer) override {
    writer->Write(snapshot);
    return grpc::Status::OK;
  }
  grpc::Status ApplyTable(grpc::ServerContext*, grpc::ServerReader<lbha::v1::StickBatch>* reader,
                          lbha::v1::ProxyResult* result) override {
    lbha::v1::StickBatch batch;
    while (reader->Read(&batch)) {
      std::lock_guard lock(mutex_);
      // Both forms (syncd sends the packed one), as proxyd reads them.
      for (const auto& c : grpc_table_port::from_batch(batch)) {
        lbha::v1::StickEntry e;
        e.set_virtual_service(c.table);
        e.set_client(std::string(c.key.begin(), c.key.end()));
        e.set_real_server(c.server);
        e.set_expires_in_ms(c.expires_in_ms);
        applied.push_back(e);
      }
    }
    result->set_ok(true);
    return grpc::Status::OK;
  }

  void push(lbha::v1::StickBatch batch) {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(batch));
    changed_.notify_all();
  }
  void close_streams() {
    std::lock_guard lock(mutex_);
    closing_ = true;
    changed_.notify_all();
  }
  std::size_t applied_count() {
    std::lock_guard lock(mutex_);
    return applied.size();
  }
  int watchers() {
    std::lock_guard lock(mutex_);
    return watchers_;
  }

  lbha::v1::StickBatch snapshot;
  std::vector<lbha::v1::StickEntry> applied;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<lbha::v1::StickBatch> pending_;
  bool closing_ = false;
  int watchers_ = 0;
};

lbha::v1::StickBatch batch_of(std::vector<table_change> changes) {
  return grpc_table_port::to_batch(changes);
}

class grpc_table_port_test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("lbha-sync-grpc-" + std::to_string(::getpid()));
    proxy_ = std::make_unique<fake_proxy>();
    proxy_->snapshot = batch_of({{"web", {198, 51, 100, 1}, "rs1", 60000}});
    start_server();
  }
  void TearDown() override {
    if (proxy_) proxy_->close_streams();
    // A deadline: syncd's ApplyTable stream stays open until cancelled.
    if (server_)
      server_->shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
    std::filesystem::remove_all(dir_);
  }
  void start_server() {
    auto s = start_unix_server(dir_ / "proxyd.sock", {proxy_.get()});
    ASSERT_TRUE(s);
    server_ = std::move(s.value());
  }
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  std::filesystem::path dir_;
  asio::io_context io_;
  std::unique_ptr<fake_proxy> proxy_;
  std::unique_ptr<unix_server> server_;
};

TEST_F(grpc_table_port_test, snapshot_watch_apply_and_resync_after_proxyd_restart) {
  // Keep io_ busy so run_for does not return at once.
  auto guard = asio::make_work_guard(io_);
  grpc_table_port port(io_, unix_channel(dir_ / "proxyd.sock"));
  std::vector<table_change> local;
  int connects = 0;
  port.start({.on_local = [&](std::vector<table_change> c) { local.insert(local.end(), c.begin(), c.end()); },
              .on_connected = [&] { ++connects; }});

  ASSERT_TRUE(run_until([&] { return connects == 1 && local.size() == 1; }));
  EXPECT_EQ(local[0].table, "web");
  EXPECT_EQ(local[0].key, (bytes{198, 51, 100, 1}));
  EXPECT_EQ(local[0].server, "rs1");
  EXPECT_EQ(local[0].expires_in_ms, 60000u);
  EXPECT_TRUE(port.connected());

  ASSERT_TRUE(run_until([&] { return proxy_->watchers() == 1; }));
  proxy_->push(batch_of({{"web", {198, 51, 100, 2}, "rs2", 30000}}));
  ASSERT_TRUE(run_until([&] { return local.size() == 2; }));
  EXPECT_EQ(local[1].server, "rs2");

  port.apply({{"web", {198, 51, 100, 3}, "rs1", 1000}, {"web", {198, 51, 100, 4}, "rs2", 2000}});
  ASSERT_TRUE(run_until([&] { return proxy_->applied_count() == 2; }));
  EXPECT_EQ(proxy_->applied[0].client(), std::string("\xc6\x33\x64\x03", 4));
  EXPECT_EQ(proxy_->applied[1].real_server(), "rs2");
  EXPECT_EQ(proxy_->applied[1].expires_in_ms(), 2000u);

  // proxyd goes away and comes back: the port reconnects and asks for a re-sync.
  proxy_->close_streams();
  server_->shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  server_.reset();
  ASSERT_TRUE(run_until([&] { return !port.connected(); }));
  proxy_ = std::make_unique<fake_proxy>();
  start_server();
  ASSERT_TRUE(run_until([&] { return connects == 2; }));
  port.apply({{"web", {198, 51, 100, 5}, "rs1", 1000}});
  ASSERT_TRUE(run_until([&] { return proxy_->applied_count() >= 1; }));
  port.stop();
}

}  // namespace
}  // namespace lbha::sync
