// lbha.v1.Sync on <run-dir>/syncd.sock: GetStatus answers from the daemon's
// io_context (run_on), so it reads sync_node on its own thread.
#pragma once

#include "common/asio.hpp"
#include "lbha/v1/sync.grpc.pb.h"
#include "replicator/sync/syncd.hpp"

namespace lbha::sync {

class status_service final : public lbha::v1::Sync::Service {
 public:
  status_service(asio::io_context& io, const syncd& daemon) : io_(io), daemon_(daemon) {}

  grpc::Status GetStatus(grpc::ServerContext*, const lbha::v1::SyncStatusRequest*,
                         lbha::v1::SyncStatus* reply) override {
    *reply = run_on(io_, [this] { return daemon_.status(); });
    return grpc::Status::OK;
  }

 private:
  asio::io_context& io_;
  const syncd& daemon_;
};

}  // namespace lbha::sync
