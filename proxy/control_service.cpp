#include "proxy/control_service.hpp"

#include <algorithm>

#include "common/event_hooks.hpp"
#include "common/grpc_access.hpp"
#include "common/logging.hpp"
#include "common/packed_batch.hpp"

namespace lbha::proxy {

namespace {

void fill(v1::StickEntry& out, const stick_change& c, clock::time_point now) {
  out.set_virtual_service(c.service);
  out.set_client(c.client.to_bytes());
  out.set_real_server(c.real_server);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(c.expires - now).count();
  out.set_expires_in_ms(static_cast<std::uint32_t>(std::clamp<long long>(left, 0, UINT32_MAX)));
}

}  // namespace

grpc::Status control_service::GetStatus(grpc::ServerContext* context, const v1::ProxyStatusRequest*,
                                        v1::ProxyStatus* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/GetStatus"); !denied.ok()) return denied;
  *reply = engine_.status();
  reply->set_stick_entries(engine_.table().size());
  reply->set_stick_packed_rejected(packed_rejected_.load(std::memory_order_relaxed));
  if (alert_counters_) *reply->mutable_alert_hooks() = to_proto(alert_counters_());
  return grpc::Status::OK;
}

grpc::Status control_service::SetRealServerState(grpc::ServerContext* context,
                                                 const v1::SetRealServerStateRequest* request,
                                                 v1::ProxyResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/SetRealServerState"); !denied.ok())
    return denied;
  auto set = engine_.set_real_server_state(request->virtual_service(), request->real_server(),
                                           request->state());
  reply->set_ok(set.has_value());
  reply->set_message(!set ? set.error().message()
                          : request->virtual_service() + "/" + request->real_server() +
                                " is now " + v1::RealServerState_Name(request->state()));
  return grpc::Status::OK;
}

grpc::Status control_service::Reload(grpc::ServerContext* context, const v1::ReloadRequest* request,
                                     v1::ReloadResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/Reload"); !denied.ok()) return denied;
  auto r = reload_(request->has_config() ? &request->config() : nullptr);
  if (!r) get_logger("proxy")->error("reload refused: {}", r.error().message());
  reply->set_ok(r.has_value());
  reply->set_message(r ? "generation " + std::to_string(engine_.status().generation()) + " applied"
                       : r.error().message());
  return grpc::Status::OK;
}

grpc::Status control_service::WatchTable(grpc::ServerContext* context,
                                         const v1::WatchTableRequest* request,
                                         grpc::ServerWriter<v1::StickBatch>* writer) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/WatchTable"); !denied.ok()) return denied;
  auto sub = engine_.table().subscribe(1'000'000, request->include_remote());
  std::uint64_t reported_drops = 0;
  while (!stopped_ && !context->IsCancelled()) {
    // Returns as soon as one change is queued, with whatever else is queued:
    // batches coalesce only under load, never by waiting.
    auto changes = sub->take(batch_size, std::chrono::milliseconds(200));
    if (sub->dropped() != reported_drops) {
      reported_drops = sub->dropped();
      get_logger("proxy")->warn("WatchTable consumer too slow: {} changes dropped", reported_drops);
    }
    if (changes.empty()) continue;
    v1::StickBatch batch;
    const auto now = engine_.table_clock().now();
    for (const auto& c : changes) fill(*batch.add_entries(), c, now);
    if (!writer->Write(batch)) break;
  }
  sub->close();
  return grpc::Status::OK;
}

grpc::Status control_service::ApplyTable(grpc::ServerContext* context,
                                         grpc::ServerReader<v1::StickBatch>* reader,
                                         v1::ProxyResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/ApplyTable"); !denied.ok()) return denied;
  v1::StickBatch batch;
  std::uint64_t applied = 0, skipped = 0, rejected = 0;
  auto& table = engine_.table();
  std::vector<sync::packed::record> records;
  std::vector<stick_table::remote_entry> remote;
  std::vector<std::string_view> labels;
  while (reader->Read(&batch)) {
    if (!batch.packed().empty()) {
      if (auto error = sync::packed::decode(batch.packed(),
                                            static_cast<std::size_t>(batch.names_size()), records)) {
        // Nothing of a malformed batch is applied; the stream goes on.
        ++rejected;
        packed_rejected_.fetch_add(1, std::memory_order_relaxed);
        get_logger("proxy")->error("ApplyTable: batch refused: {}", sync::packed::message(*error));
      }
      labels.assign(batch.names().begin(), batch.names().end());
      remote.clear();
      remote.reserve(records.size());
      for (const auto& r : records) {
        stick_table::remote_entry e;
        e.client.size = r.key_size;
        e.client.bytes = r.key;
        e.service = r.table;
        e.real_server = r.server;
        e.expires_in_ms = r.expires_in_ms;
        if (batch.local()) {
          table.stick(std::string(labels[r.table]), e.client, std::string(labels[r.server]),
                      std::chrono::milliseconds(r.expires_in_ms));
        } else {
          remote.push_back(e);
        }
      }
      table.apply_remote(labels, remote);
      applied += records.size();
    }
    for (const auto& e : batch.entries()) {
      auto client = client_key::from_bytes(e.client());
      if (!client || e.virtual_service().empty() || e.real_server().empty()) {
        ++skipped;
        continue;
      }
      const std::chrono::milliseconds expires_in(e.expires_in_ms());
      if (batch.local()) {
        table.stick(e.virtual_service(), *client, e.real_server(), expires_in);
      } else {
        table.apply_remote(e.virtual_service(), *client, e.real_server(), expires_in);
      }
      ++applied;
    }
  }
  reply->set_ok(true);
  reply->set_message("applied " + std::to_string(applied) + ", skipped " + std::to_string(skipped) +
                     (rejected ? ", refused " + std::to_string(rejected) + " malformed batches"
                               : std::string()));
  return grpc::Status::OK;
}

grpc::Status control_service::SnapshotTable(grpc::ServerContext* context,
                                            const v1::SnapshotTableRequest*,
                                            grpc::ServerWriter<v1::StickBatch>* writer) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/SnapshotTable"); !denied.ok()) return denied;
  v1::StickBatch batch;
  bool ok = true;
  const auto now = engine_.table_clock().now();
  engine_.table().for_each([&](const stick_change& c) {
    if (!ok) return;
    fill(*batch.add_entries(), c, now);
    if (static_cast<std::size_t>(batch.entries_size()) >= batch_size) {
      ok = !context->IsCancelled() && writer->Write(batch);
      batch.Clear();
    }
  });
  if (ok && batch.entries_size() > 0) writer->Write(batch);
  return grpc::Status::OK;
}

grpc::Status control_service::Ready(grpc::ServerContext* context, const v1::ReadyRequest*,
                                    v1::ReadyReply* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Proxy/Ready"); !denied.ok()) return denied;
  *reply = engine_.ready();
  return grpc::Status::OK;
}

}  // namespace lbha::proxy
