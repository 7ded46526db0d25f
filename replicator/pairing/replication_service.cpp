#include "replicator/pairing/replication_service.hpp"

namespace lbha::pairing {

grpc::Status replication_service::Pair(grpc::ServerContext*, const lbha::v1::PairRequest* request,
                                       lbha::v1::ReplicationResult* reply) {
  *reply = rep_.pair(request->peer_address(), request->password()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::Unpair(grpc::ServerContext*,
                                         const lbha::v1::UnpairRequest* request,
                                         lbha::v1::ReplicationResult* reply) {
  *reply = rep_.unpair(request->local_only()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::Push(grpc::ServerContext*, const lbha::v1::PushRequest* request,
                                       lbha::v1::ReplicationResult* reply) {
  *reply = rep_.push(request->config(), request->dry_run()).get();
  return grpc::Status::OK;
}

grpc::Status replication_service::GetStatus(grpc::ServerContext*,
                                            const lbha::v1::ReplicationStatusRequest*,
                                            lbha::v1::ReplicationStatus* reply) {
  *reply = rep_.status();
  return grpc::Status::OK;
}

}  // namespace lbha::pairing
