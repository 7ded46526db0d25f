#include "heartbeatd/ha_service.hpp"

#include "common/grpc_unix.hpp"

namespace lbha::heartbeat {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;

ha_service::ha_service(asio::io_context& io, heartbeat_daemon& daemon,
                       daemon_runtime::reload_function reload)
    : io_(io), daemon_(daemon), reload_(std::move(reload)) {}

grpc::Status ha_service::GetStatus(grpc::ServerContext* context, const v1::HaStatusRequest*,
                                   v1::HaStatus* out) {
  if (auto denied = authorize(context, "/lbha.v1.Ha/GetStatus"); !denied.ok()) return denied;
  *out = run_on(io_, [this] { return daemon_.status(); });
  return grpc::Status::OK;
}

grpc::Status ha_service::WatchStatus(grpc::ServerContext* ctx, const v1::HaStatusRequest*,
                                     grpc::ServerWriter<v1::HaStatus>* writer) {
  if (auto denied = authorize(ctx, "/lbha.v1.Ha/WatchStatus"); !denied.ok()) return denied;
  auto& board = daemon_.board();
  std::uint64_t seen = 0;
  for (;;) {
    if (board.closed()) return grpc::Status::OK;  // shutting down
    auto status = run_on(io_, [this] { return daemon_.status(); });
    if (!writer->Write(status)) return grpc::Status::OK;  // the client went away
    // Changes wake us at once; otherwise a status every second keeps ages fresh.
    seen = board.wait(seen, 1000ms);
    if (ctx->IsCancelled()) return grpc::Status::CANCELLED;
  }
}

grpc::Status ha_service::MakeActive(grpc::ServerContext* context, const v1::MakeActiveRequest* req,
                                    v1::HaResult* out) {
  if (auto denied = authorize(context, "/lbha.v1.Ha/MakeActive"); !denied.ok()) return denied;
  const bool force = req->force();
  auto timeout = run_on(io_, [this, force] {
    daemon_.make_active(force);
    return daemon_.make_active_timeout();
  });
  auto& board = daemon_.board();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::uint64_t seen = 0;
  for (;;) {
    auto [now_role, want] = run_on(io_, [this] {
      return std::make_pair(daemon_.current_role(), daemon_.status().want_active());
    });
    if (now_role == role::active) {
      out->set_ok(true);
      out->set_message("active");
      return grpc::Status::OK;
    }
    if (!want || std::chrono::steady_clock::now() >= deadline || board.closed()) {
      out->set_ok(false);
      out->set_message(
          "the peer did not release the VIPs in time (use --force if it is "
          "unreachable); role is " +
          std::string(to_string(now_role)));
      return grpc::Status::OK;
    }
    seen = board.wait(seen, 50ms);
  }
}

grpc::Status ha_service::MakePassive(grpc::ServerContext* context, const v1::MakePassiveRequest*,
                                     v1::HaResult* out) {
  if (auto denied = authorize(context, "/lbha.v1.Ha/MakePassive"); !denied.ok()) return denied;
  auto r = run_on(io_, [this] { return daemon_.make_passive(); });
  out->set_ok(static_cast<bool>(r));
  out->set_message(r ? "passive" : r.error().message());
  return grpc::Status::OK;
}

grpc::Status ha_service::Reload(grpc::ServerContext* context, const v1::ReloadRequest* request,
                                v1::ReloadResult* out) {
  if (auto denied = authorize(context, "/lbha.v1.Ha/Reload"); !denied.ok()) return denied;
  auto r = reload_(request->has_config() ? &request->config() : nullptr);
  out->set_ok(r.has_value());
  if (!r) {
    out->set_message(r.error().message());
    return grpc::Status::OK;
  }
  const auto status = run_on(io_, [this] { return daemon_.status(); });
  out->set_message("reloaded: generation " + std::to_string(status.config_generation()) + ", " +
                   std::to_string(status.vips_size()) + " VIP(s)");
  return grpc::Status::OK;
}

}  // namespace lbha::heartbeat
