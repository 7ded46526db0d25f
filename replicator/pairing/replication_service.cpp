#include "replicator/pairing/replication_service.hpp"

#include "common/grpc_access.hpp"

namespace lbha::pairing {

grpc::Status replication_service::Pair(grpc::ServerContext* context,
                                       const lbha::v1::PairRequest* request,
                                       lbha::v1::ReplicationResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/Pair"); !denied.ok()) return denied;
  *reply = rep_.pair(*request).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::Unpair(grpc::ServerContext* context,
                                         const lbha::v1::UnpairRequest* request,
                                         lbha::v1::ReplicationResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/Unpair"); !denied.ok()) return denied;
  *reply = rep_.unpair(request->local_only()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::Push(grpc::ServerContext* context,
                                       const lbha::v1::PushRequest* request,
                                       lbha::v1::ReplicationResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/Push"); !denied.ok()) return denied;
  *reply = rep_.push(request->config(), request->dry_run(),
                     request->origin().empty() ? "commit" : request->origin(), request->summary())
               .get();
  return grpc::Status::OK;
}

grpc::Status replication_service::GetStatus(grpc::ServerContext* context,
                                            const lbha::v1::ReplicationStatusRequest*,
                                            lbha::v1::ReplicationStatus* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/GetStatus"); !denied.ok())
    return denied;
  *reply = rep_.status();
  return grpc::Status::OK;
}

grpc::Status replication_service::GetPeerHostKey(grpc::ServerContext* context,
                                                 const lbha::v1::PeerHostKeyRequest* request,
                                                 lbha::v1::PeerHostKey* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/GetPeerHostKey"); !denied.ok())
    return denied;
  *reply = rep_.peer_host_key(request->peer_address()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::History(grpc::ServerContext* context,
                                          const lbha::v1::HistoryRequest*,
                                          lbha::v1::HistoryReply* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/History"); !denied.ok()) return denied;
  *reply = rep_.history();
  return grpc::Status::OK;
}

grpc::Status replication_service::GetGeneration(grpc::ServerContext* context,
                                                const lbha::v1::GenerationRequest* request,
                                                lbha::v1::GenerationReply* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/GetGeneration"); !denied.ok())
    return denied;
  *reply = rep_.generation(request->generation());
  return grpc::Status::OK;
}

grpc::Status replication_service::Rollback(grpc::ServerContext* context,
                                           const lbha::v1::RollbackRequest* request,
                                           lbha::v1::ReplicationResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/Rollback"); !denied.ok())
    return denied;
  *reply = rep_.rollback(request->generation(), request->dry_run()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::TakeOver(grpc::ServerContext* context,
                                           const lbha::v1::TakeOverRequest* request,
                                           lbha::v1::ReplicationResult* reply) {
  if (auto denied = authorize(context, "/lbha.v1.Replication/TakeOver"); !denied.ok())
    return denied;
  *reply = rep_.take_over(request->force()).get();
  return grpc::Status::OK;
}

}  // namespace lbha::pairing
