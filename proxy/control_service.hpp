// lbha.v1.Proxy: proxyd's gRPC service on <run-dir>/proxyd.sock, for lbctl
// (status, real server states, reload), heartbeatd (Ready) and syncd (the
// persistence table: WatchTable, ApplyTable, SnapshotTable).
//
// Concurrency: handlers run on gRPC's threads and call the engine, whose
// methods are thread-safe. WatchTable holds its thread for the life of the
// stream, waking at least every 200 ms to notice cancellation and stop().
// stop() must be called before the gRPC server shuts down so that open
// WatchTable streams end.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "common/daemon_runtime.hpp"
#include "common/hook_runner.hpp"
#include "lbha/v1/proxy.grpc.pb.h"
#include "proxy/engine.hpp"

namespace lbha::proxy {

class control_service final : public v1::Proxy::Service {
 public:
  // `reload` is the daemon runtime's reloader: Reload goes the way SIGHUP does.
  control_service(engine& e, daemon_runtime::reload_function reload)
      : engine_(e), reload_(std::move(reload)) {}

  void stop() { stopped_ = true; }
  // GetStatus's alert_hooks: the daemon's alert hook counters (read from gRPC's threads).
  void set_alert_counters(std::function<hook_counters()> read) { alert_counters_ = std::move(read); }

  grpc::Status GetStatus(grpc::ServerContext*, const v1::ProxyStatusRequest*,
                         v1::ProxyStatus* reply) override;
  grpc::Status SetRealServerState(grpc::ServerContext*, const v1::SetRealServerStateRequest* request,
                                  v1::ProxyResult* reply) override;
  grpc::Status Reload(grpc::ServerContext*, const v1::ReloadRequest* request,
                      v1::ReloadResult* reply) override;
  grpc::Status WatchTable(grpc::ServerContext* context, const v1::WatchTableRequest* request,
                          grpc::ServerWriter<v1::StickBatch>* writer) override;
  grpc::Status ApplyTable(grpc::ServerContext*, grpc::ServerReader<v1::StickBatch>* reader,
                          v1::ProxyResult* reply) override;
  grpc::Status SnapshotTable(grpc::ServerContext*, const v1::SnapshotTableRequest*,
                             grpc::ServerWriter<v1::StickBatch>* writer) override;
  grpc::Status Ready(grpc::ServerContext*, const v1::ReadyRequest*, v1::ReadyReply* reply) override;

  // Entries per StickBatch on the table streams.
  static constexpr std::size_t batch_size = 1000;

 private:
  engine& engine_;
  daemon_runtime::reload_function reload_;
  std::function<hook_counters()> alert_counters_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> packed_rejected_{0};  // malformed packed ApplyTable batches
};

}  // namespace lbha::proxy
