// lbha.v1.Sync on <run-dir>/syncd.sock. GetStatus answers from the daemon's
// io_context (run_on), so it reads sync_node on its own thread. Reload hands
// the request to the daemon runtime's reloader, the path SIGHUP takes too:
// syncd_component::reload rebuilds the node settings and calls
// syncd::reconfigure.
#pragma once

#include "common/asio.hpp"
#include "common/daemon_runtime.hpp"
#include "common/grpc_access.hpp"
#include "lbha/v1/sync.grpc.pb.h"
#include "replicator/sync/syncd.hpp"

namespace lbha::sync {

class status_service final : public lbha::v1::Sync::Service {
 public:
  status_service(asio::io_context& io, const syncd& daemon, daemon_runtime::reload_function reload)
      : io_(io), daemon_(daemon), reload_(std::move(reload)) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const lbha::v1::SyncStatusRequest*,
                         lbha::v1::SyncStatus* reply) override {
    if (auto denied = authorize(context, "/lbha.v1.Sync/GetStatus"); !denied.ok()) return denied;
    *reply = run_on(io_, [this] { return daemon_.status(); });
    return grpc::Status::OK;
  }

  grpc::Status Reload(grpc::ServerContext* context, const lbha::v1::ReloadRequest* request,
                      lbha::v1::ReloadResult* reply) override {
    if (auto denied = authorize(context, "/lbha.v1.Sync/Reload"); !denied.ok()) return denied;
    auto r = reload_(request->has_config() ? &request->config() : nullptr);
    reply->set_ok(r.has_value());
    if (!r) {
      reply->set_message(r.error().message());
      return grpc::Status::OK;
    }
    const auto tables = run_on(io_, [this] { return daemon_.node().tables().size(); });
    reply->set_message("reloaded: " + std::to_string(tables) + " table(s)");
    return grpc::Status::OK;
  }

 private:
  asio::io_context& io_;
  const syncd& daemon_;
  daemon_runtime::reload_function reload_;
};

}  // namespace lbha::sync
