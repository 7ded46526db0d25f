// lbha.v1.Ha on <run-dir>/heartbeatd.sock: status, watch, make-active,
// make-passive, reload. gRPC calls it on its own threads; every call reaches
// the daemon through run_on(io, ...), so the daemon's state stays owned by the
// io_context thread. Long waits (MakeActive until the role changes,
// WatchStatus between changes) block only the gRPC thread, on the daemon's
// status_board.
#pragma once

#include <functional>

#include "common/asio.hpp"
#include "common/daemon_runtime.hpp"
#include "heartbeatd/daemon.hpp"
#include "lbha/v1/ha.grpc.pb.h"

namespace lbha::heartbeat {

class ha_service final : public lbha::v1::Ha::Service {
 public:
  // `reload` is the daemon runtime's reloader: Reload goes the way SIGHUP does.
  ha_service(asio::io_context& io, heartbeat_daemon& daemon,
             daemon_runtime::reload_function reload);

  grpc::Status GetStatus(grpc::ServerContext*, const lbha::v1::HaStatusRequest*,
                         lbha::v1::HaStatus* out) override;
  grpc::Status WatchStatus(grpc::ServerContext* ctx, const lbha::v1::HaStatusRequest*,
                           grpc::ServerWriter<lbha::v1::HaStatus>* writer) override;
  grpc::Status MakeActive(grpc::ServerContext*, const lbha::v1::MakeActiveRequest* req,
                          lbha::v1::HaResult* out) override;
  grpc::Status MakePassive(grpc::ServerContext*, const lbha::v1::MakePassiveRequest*,
                           lbha::v1::HaResult* out) override;
  grpc::Status Reload(grpc::ServerContext*, const lbha::v1::ReloadRequest* request,
                      lbha::v1::ReloadResult* out) override;

 private:
  asio::io_context& io_;
  heartbeat_daemon& daemon_;
  daemon_runtime::reload_function reload_;
};

}  // namespace lbha::heartbeat
