// table_port over proxyd's lbha.v1.Proxy streams on <run-dir>/proxyd.sock.
//
// Two worker threads, because gRPC's sync API blocks:
// - the watcher opens WatchTable, then reads SnapshotTable (so no change falls
//   between the two), posts the snapshot and every later batch to the
//   io_context, and reconnects after a second when proxyd goes away (at
//   once when refresh() asked for the table again);
// - the applier drains a queue into one long-lived ApplyTable stream,
//   reopening it when a write fails (entries lost then are re-applied by the
//   on_connected re-sync when the watcher reconnects).
// stop() cancels both streams and joins the threads.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "common/asio.hpp"
#include "lbha/v1/proxy.grpc.pb.h"
#include "replicator/sync/table_port.hpp"

namespace lbha::sync {

class grpc_table_port final : public table_port {
 public:
  grpc_table_port(asio::io_context& io, std::shared_ptr<grpc::Channel> channel);
  ~grpc_table_port() override;

  void start(handlers h) override;
  void apply(std::vector<table_change> entries) override;
  void apply_packed(packed_changes batch) override;
  void stop() override;
  void refresh() override;
  bool connected() const override { return connected_; }

  static std::vector<table_change> from_batch(const lbha::v1::StickBatch& batch);
  static lbha::v1::StickBatch to_batch(const std::vector<table_change>& entries);
  // The same, allocated on `arena` (a million entries without a million mallocs).
  static lbha::v1::StickBatch* to_batch(const std::vector<table_change>& entries,
                                        google::protobuf::Arena& arena);

 private:
  void watch_loop();
  void apply_loop();
  bool wait_or_stop(std::chrono::milliseconds d);

  asio::io_context& io_;
  std::unique_ptr<lbha::v1::Proxy::Stub> stub_;
  handlers handlers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<bool> refresh_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  // What waits for the ApplyTable stream: either entries or a packed batch.
  struct pending {
    std::vector<table_change> entries;
    packed_changes packed;
  };
  std::deque<pending> queue_;
  grpc::ClientContext* watch_context_ = nullptr;  // guarded by mutex_
  grpc::ClientContext* apply_context_ = nullptr;  // guarded by mutex_
  std::thread watcher_;
  std::thread applier_;
};

}  // namespace lbha::sync
