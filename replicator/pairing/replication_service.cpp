#include "replicator/pairing/replication_service.hpp"

namespace lbha::pairing {

grpc::Status replication_service::Pair(grpc::ServerContext*, const lbha::v1::PairRequest* request,
                                       lbha::v1::ReplicationResult* reply) {
  *reply = rep_.pair(*request).get();
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

grpc::Status replication_service::GetPeerHostKey(grpc::ServerContext*,
                                                 const lbha::v1::PeerHostKeyRequest* request,
                                                 lbha::v1::PeerHostKey* reply) {
  *reply = rep_.peer_host_key(request->peer_address()).get();
  return grpc::Status::OK;
}

}  // namespace lbha::pairing
