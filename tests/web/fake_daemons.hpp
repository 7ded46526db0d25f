// Doubles of the daemons' status services for the tests that read the node
// over its Unix sockets (metrics_source_test, webd_daemon_test, the SNMP lab
// test): each answers GetStatus with a small reply, which a test may
// replace while the double serves (set(), from any thread); fake_node
// serves all four in a run directory.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"

namespace lbha::web::test_doubles {

template <typename Service, typename Request, typename Reply>
class status_double : public Service {
 public:
  explicit status_double(Reply reply = {}) : reply_(std::move(reply)) {}
  void set(Reply reply) {
    std::lock_guard lock(mutex_);
    reply_ = std::move(reply);
  }
  Reply reply() const {
    std::lock_guard lock(mutex_);
    return reply_;
  }

 private:
  grpc::Status GetStatus(grpc::ServerContext*, const Request*, Reply* reply) override {
    *reply = this->reply();
    return grpc::Status::OK;
  }

  mutable std::mutex mutex_;
  Reply reply_;
};

inline v1::HaStatus lb1_active() {
  v1::HaStatus reply;
  reply.set_node_name("lb1");
  reply.set_role(v1::ROLE_ACTIVE);
  return reply;
}

inline v1::ProxyStatus generation_7_da_vip() {
  v1::ProxyStatus reply;
  reply.set_generation(7);
  reply.add_virtual_services()->set_label("DA_VIP");
  return reply;
}

inline v1::SyncStatus paired() {
  v1::SyncStatus reply;
  reply.set_paired(true);
  return reply;
}

// lb1, active.
class fake_ha final : public status_double<v1::Ha::Service, v1::HaStatusRequest, v1::HaStatus> {
 public:
  fake_ha() : status_double(lb1_active()) {}
};

// Generation 7, one virtual service DA_VIP.
class fake_proxy final
    : public status_double<v1::Proxy::Service, v1::ProxyStatusRequest, v1::ProxyStatus> {
 public:
  fake_proxy() : status_double(generation_7_da_vip()) {}
};

// Paired.
class fake_sync final
    : public status_double<v1::Sync::Service, v1::SyncStatusRequest, v1::SyncStatus> {
 public:
  fake_sync() : status_double(paired()) {}
};

// Not paired.
using fake_replication =
    status_double<v1::Replication::Service, v1::ReplicationStatusRequest, v1::ReplicationStatus>;

// The four doubles on their sockets in a run directory, where a daemon
// (webd) configured with that run_dir looks for them; shut down at the end.
class fake_node {
 public:
  void serve(const std::filesystem::path& run_dir) {
    std::filesystem::create_directories(run_dir);
    for (auto [name, service] : std::initializer_list<std::pair<const char*, grpc::Service*>>{
             {"heartbeatd", &ha},
             {"proxyd", &proxy},
             {"syncd", &sync},
             {"replicatord", &replication}}) {
      auto server = start_unix_server(socket_path(run_dir, name), {service});
      ASSERT_TRUE(server.has_value()) << name;
      servers_.push_back(std::move(server.value()));
    }
  }
  ~fake_node() {
    for (auto& server : servers_) server->shutdown();
  }

  fake_ha ha;
  fake_proxy proxy;
  fake_sync sync;
  fake_replication replication;

 private:
  std::vector<std::unique_ptr<unix_server>> servers_;
};

}  // namespace lbha::web::test_doubles
