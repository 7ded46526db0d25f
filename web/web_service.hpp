// lbha.v1.Web on <run-dir>/webd.sock: GetStatus answers from the daemon's
// io_context (run_on: the app's counters and sessions are the io thread's);
// Reload hands the request to the daemon runtime's reloader, the path SIGHUP
// takes too (webd_component::reload).
#pragma once

#include <functional>

#include "common/asio.hpp"
#include "common/daemon_runtime.hpp"
#include "common/grpc_access.hpp"
#include "lbha/v1/web.grpc.pb.h"

namespace lbha::web {

class web_service final : public lbha::v1::Web::Service {
 public:
  using status_function = std::function<lbha::v1::WebStatus()>;  // called on the io thread

  web_service(asio::io_context& io, status_function status, daemon_runtime::reload_function reload)
      : io_(io), status_(std::move(status)), reload_(std::move(reload)) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const lbha::v1::WebStatusRequest*,
                         lbha::v1::WebStatus* reply) override {
    if (auto denied = authorize(context, "/lbha.v1.Web/GetStatus"); !denied.ok()) return denied;
    *reply = run_on(io_, status_);
    return grpc::Status::OK;
  }

  grpc::Status Reload(grpc::ServerContext* context, const lbha::v1::ReloadRequest* request,
                      lbha::v1::ReloadResult* reply) override {
    if (auto denied = authorize(context, "/lbha.v1.Web/Reload"); !denied.ok()) return denied;
    auto r = reload_(request->has_config() ? &request->config() : nullptr);
    reply->set_ok(r.has_value());
    reply->set_message(r ? "reloaded" : r.error().message());
    return grpc::Status::OK;
  }

 private:
  asio::io_context& io_;
  status_function status_;
  daemon_runtime::reload_function reload_;
};

}  // namespace lbha::web
