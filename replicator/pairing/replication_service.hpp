// lbha.v1.Replication on <run-dir>/replicatord.sock: the gRPC face of the replicator.
//
// Handlers run on gRPC's threads and wait for the replicator's worker, so a
// long SSH exchange holds only the calling RPC. Passwords in PairRequest are
// handed to the replicator and never logged.
#pragma once

#include "lbha/v1/replication.grpc.pb.h"
#include "replicator/pairing/replicator.hpp"

namespace lbha::pairing {

class replication_service final : public lbha::v1::Replication::Service {
 public:
  explicit replication_service(replicator& rep) : rep_(rep) {}

  grpc::Status Pair(grpc::ServerContext*, const lbha::v1::PairRequest* request,
                    lbha::v1::ReplicationResult* reply) override;
  grpc::Status Unpair(grpc::ServerContext*, const lbha::v1::UnpairRequest* request,
                      lbha::v1::ReplicationResult* reply) override;
  grpc::Status Push(grpc::ServerContext*, const lbha::v1::PushRequest* request,
                    lbha::v1::ReplicationResult* reply) override;
  grpc::Status GetStatus(grpc::ServerContext*, const lbha::v1::ReplicationStatusRequest*,
                         lbha::v1::ReplicationStatus* reply) override;
  grpc::Status GetPeerHostKey(grpc::ServerContext*, const lbha::v1::PeerHostKeyRequest* request,
                              lbha::v1::PeerHostKey* reply) override;
  grpc::Status History(grpc::ServerContext*, const lbha::v1::HistoryRequest*,
                       lbha::v1::HistoryReply* reply) override;
  grpc::Status GetGeneration(grpc::ServerContext*, const lbha::v1::GenerationRequest* request,
                             lbha::v1::GenerationReply* reply) override;
  grpc::Status Rollback(grpc::ServerContext*, const lbha::v1::RollbackRequest* request,
                        lbha::v1::ReplicationResult* reply) override;
  grpc::Status TakeOver(grpc::ServerContext*, const lbha::v1::TakeOverRequest* request,
                        lbha::v1::ReplicationResult* reply) override;

 private:
  replicator& rep_;
};

}  // namespace lbha::pairing
