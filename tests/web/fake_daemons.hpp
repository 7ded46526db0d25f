// Doubles of the daemons' status services for the tests that read the node
// over its Unix sockets (metrics_source_test, webd_daemon_test): each
// answers GetStatus with a fixed, small reply.
#pragma once

#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::web::test_doubles {

// lb1, active.
class fake_ha final : public v1::Ha::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const v1::HaStatusRequest*,
                         v1::HaStatus* reply) override {
    reply->set_node_name("lb1");
    reply->set_role(v1::ROLE_ACTIVE);
    return grpc::Status::OK;
  }
};

// Generation 7, one virtual service DA_VIP.
class fake_proxy final : public v1::Proxy::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const v1::ProxyStatusRequest*,
                         v1::ProxyStatus* reply) override {
    reply->set_generation(7);
    reply->add_virtual_services()->set_label("DA_VIP");
    return grpc::Status::OK;
  }
};

// Paired.
class fake_sync final : public v1::Sync::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const v1::SyncStatusRequest*,
                         v1::SyncStatus* reply) override {
    reply->set_paired(true);
    return grpc::Status::OK;
  }
};

// Not paired.
class fake_replication final : public v1::Replication::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const v1::ReplicationStatusRequest*,
                         v1::ReplicationStatus*) override {
    return grpc::Status::OK;
  }
};

}  // namespace lbha::web::test_doubles
