#include "replicator/pairing/local_daemons.hpp"

#include <chrono>

#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::pairing {

namespace {
constexpr std::chrono::milliseconds reload_timeout{3000};

std::string describe(const char* daemon, const grpc::Status& status, bool ok,
                     const std::string& message) {
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return std::string(daemon) + " not running";
    }
    return std::string(daemon) + " reload failed: " + status.error_message();
  }
  if (!ok) return std::string(daemon) + " refused: " + message;
  return std::string("reloaded ") + daemon;
}
}  // namespace

std::string grpc_local_daemons::reload(bool config_changed) {
  std::string summary;
  {
    auto stub = lbha::v1::Ha::NewStub(unix_channel(socket_path(run_dir_, "heartbeatd")));
    auto ctx = context_with_deadline(reload_timeout);
    lbha::v1::HaResult reply;
    auto status = stub->Reload(ctx.get(), lbha::v1::HaReloadRequest{}, &reply);
    summary = describe("heartbeatd", status, reply.ok(), reply.message());
  }
  if (config_changed) {
    auto stub = lbha::v1::Proxy::NewStub(unix_channel(socket_path(run_dir_, "proxyd")));
    auto ctx = context_with_deadline(reload_timeout);
    lbha::v1::ProxyResult reply;
    auto status = stub->Reload(ctx.get(), lbha::v1::ProxyReloadRequest{}, &reply);
    summary += ", " + describe("proxyd", status, reply.ok(), reply.message());
  }
  return summary;
}

std::optional<std::uint64_t> grpc_local_daemons::current_term() {
  auto stub = lbha::v1::Ha::NewStub(unix_channel(socket_path(run_dir_, "heartbeatd")));
  auto ctx = context_with_deadline(std::chrono::milliseconds(1000));
  lbha::v1::HaStatus reply;
  if (!stub->GetStatus(ctx.get(), lbha::v1::HaStatusRequest{}, &reply).ok()) return std::nullopt;
  return reply.term();
}

}  // namespace lbha::pairing
