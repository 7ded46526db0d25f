#include "common/grpc_access.hpp"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/replication.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"
#include "lbha/v1/web.grpc.pb.h"
#include "tests/support/build_tree.hpp"

namespace lbha {
namespace {

constexpr gid_t lbha_gid = 4100;
constexpr gid_t admin_gid = 4101;
const access_groups groups{lbha_gid, admin_gid};

// Every method of every service in proto/lbha/v1/*.proto, by full name.
std::set<std::string> every_method() {
  // Touch each generated file so the linker keeps its descriptor.
  (void)lbha::v1::HaStatus::descriptor();
  (void)lbha::v1::ProxyStatus::descriptor();
  (void)lbha::v1::ReplicationStatus::descriptor();
  (void)lbha::v1::SyncStatus::descriptor();
  (void)lbha::v1::WebStatus::descriptor();
  std::set<std::string> out;
  const auto* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const auto& entry :
       std::filesystem::directory_iterator(test_support::in_build_tree(LBHA_PROTO_DIR))) {
    if (entry.path().extension() != ".proto") continue;
    const std::string name = "lbha/v1/" + entry.path().filename().string();
    const auto* file = pool->FindFileByName(name);
    EXPECT_NE(file, nullptr) << name << " is not linked into the test: touch one of its messages";
    if (file == nullptr) continue;
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int m = 0; m < service->method_count(); ++m)
        out.insert("/" + service->full_name() + "/" + service->method(m)->name());
    }
  }
  return out;
}

peer_credentials user_in(std::vector<gid_t> groups) {
  return {1234, 5001, 5001, std::move(groups)};
}

TEST(grpc_access, every_method_is_read_or_refused_to_a_read_only_caller) {
  const auto methods = every_method();
  ASSERT_GE(methods.size(), 18u);  // Ha 5, Proxy 7, Replication 4, Sync 2
  const auto reader = user_in({lbha_gid});
  int reads = 0;
  for (const auto& method : methods) {
    const auto status = authorize(reader, method, groups);
    if (is_read_method(method)) {
      ++reads;
      EXPECT_TRUE(status.ok()) << method << ": " << status.error_message();
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
      EXPECT_NE(status.error_message().find("lbha-admin"), std::string::npos) << method;
    }
  }
  // The table names no method that does not exist (a typo would make it a
  // change method, safe but wrong).
  EXPECT_EQ(reads, static_cast<int>(read_methods().size()));
  for (auto m : read_methods()) EXPECT_TRUE(methods.count(std::string(m))) << m;
}

TEST(grpc_access, admins_root_and_the_daemons_own_user_may_call_everything) {
  for (const auto& method : every_method()) {
    EXPECT_TRUE(authorize(user_in({admin_gid}), method, groups).ok()) << method;
    EXPECT_TRUE(authorize({1, 0, 0, {}}, method, groups).ok()) << method;
    EXPECT_TRUE(authorize({1, ::geteuid(), 0, {}}, method, groups).ok()) << method;
  }
  // The primary group counts as membership too.
  EXPECT_TRUE(authorize({1, 5001, admin_gid, {}}, "/lbha.v1.Ha/MakeActive", groups).ok());
}

TEST(grpc_access, strangers_may_call_nothing) {
  if (::geteuid() == 5001) GTEST_SKIP() << "the test's stranger uid is ours";
  for (const auto& method : every_method()) {
    auto status = authorize(user_in({100, 200}), method, groups);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << method;
  }
  auto status = authorize(user_in({}), "/lbha.v1.Ha/GetStatus", groups);
  EXPECT_EQ(status.error_message(),
            "lbha.v1.Ha/GetStatus reads the node and needs root or membership of group lbha or "
            "lbha-admin (caller uid 5001 is not)");
  // Without the groups on this host only root and the daemon's user get in.
  EXPECT_FALSE(authorize(user_in({lbha_gid}), "/lbha.v1.Ha/GetStatus", access_groups{}).ok());
}

// Every RPC is authorized, so the group database (getgrnam: NSS, maybe
// remote) is asked only for what the uid alone does not decide.
TEST(grpc_access, groups_are_looked_up_only_when_the_uid_does_not_decide) {
  std::vector<std::string> asked;
  const group_lookup lookup = [&](std::string_view name) -> std::optional<gid_t> {
    asked.emplace_back(name);
    return name == admin_group ? admin_gid : lbha_gid;
  };
  EXPECT_TRUE(authorize({1, 0, 0, {}}, "/lbha.v1.Ha/GetStatus", lookup).ok());
  EXPECT_TRUE(authorize({1, ::geteuid(), 0, {}}, "/lbha.v1.Ha/MakeActive", lookup).ok());
  EXPECT_TRUE(asked.empty());
  if (::geteuid() == 5001) GTEST_SKIP() << "the test's user uid is ours";
  EXPECT_TRUE(authorize(user_in({admin_gid}), "/lbha.v1.Ha/GetStatus", lookup).ok());
  EXPECT_EQ(asked, (std::vector<std::string>{"lbha-admin"}));
  asked.clear();
  EXPECT_FALSE(authorize(user_in({lbha_gid}), "/lbha.v1.Ha/MakeActive", lookup).ok());
  EXPECT_EQ(asked, (std::vector<std::string>{"lbha-admin"}));
  asked.clear();
  EXPECT_TRUE(authorize(user_in({lbha_gid}), "/lbha.v1.Ha/GetStatus", lookup).ok());
  EXPECT_EQ(asked, (std::vector<std::string>{"lbha-admin", "lbha"}));
}

// The other half of "a change method cannot be forgotten": each service's
// handlers (one file per service) call authorize() with each method's name.
TEST(grpc_access, every_handler_checks_its_caller) {
  const std::map<std::string, std::string> handler_file{
      {"lbha.v1.Ha", "heartbeatd/ha_service.cpp"},
      {"lbha.v1.Proxy", "proxy/control_service.cpp"},
      {"lbha.v1.Sync", "replicator/sync/status_service.hpp"},
      {"lbha.v1.Replication", "replicator/pairing/replication_service.cpp"},
      {"lbha.v1.Web", "web/web_service.hpp"},
  };
  for (const auto& method : every_method()) {
    const auto service = method.substr(1, method.rfind('/') - 1);
    ASSERT_TRUE(handler_file.count(service)) << "which file serves " << service << "?";
    std::ifstream in(test_support::in_build_tree(LBHA_SOURCE_DIR) / handler_file.at(service));
    const std::string source((std::istreambuf_iterator<char>(in)), {});
    const std::string method_name = method.substr(method.rfind('/') + 1);
    const auto at = source.find("::Status " + method_name + "(") != std::string::npos
                        ? source.find("::Status " + method_name + "(")
                        : source.find("::" + method_name + "(");
    ASSERT_NE(at, std::string::npos) << method << " has no handler in " << handler_file.at(service);
    const auto check = source.find("authorize(", at);
    const auto body_end = source.find("\n}", at);
    ASSERT_NE(check, std::string::npos) << method;
    EXPECT_EQ(source.compare(source.find('"', check), method.size() + 2, "\"" + method + "\""), 0)
        << method << ": its handler must start with authorize(context, \"" << method << "\")";
    EXPECT_LT(check, std::min(body_end, source.find("return", at))) << method;
  }
}

// A service that reports what authorize() learnt about its caller.
class whoami final : public lbha::v1::Sync::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* context, const lbha::v1::SyncStatusRequest*,
                         lbha::v1::SyncStatus* reply) override {
    if (auto denied = authorize(context, "/lbha.v1.Sync/GetStatus"); !denied.ok()) return denied;
    peer = context->peer();
    credentials = peer_of(context);
    reply->add_peers()->set_name("ok");
    return grpc::Status::OK;
  }
  std::string peer;
  std::optional<peer_credentials> credentials;
};

TEST(grpc_access, a_socket_caller_is_known_by_its_peer_credentials) {
  auto dir = std::filesystem::temp_directory_path() / ("lbha-access-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  whoami service;
  auto server = start_unix_server(socket_path(dir, "syncd"), {&service});
  ASSERT_TRUE(server) << server.error().message();
  auto stub = lbha::v1::Sync::NewStub(unix_channel(socket_path(dir, "syncd")));
  lbha::v1::SyncStatus reply;
  auto ctx = context_with_deadline(std::chrono::seconds(5));
  auto status = stub->GetStatus(ctx.get(), {}, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(service.peer.rfind("fd:", 0), 0u) << service.peer;
  ASSERT_TRUE(service.credentials);
  EXPECT_EQ(service.credentials->uid, ::geteuid());
  EXPECT_EQ(service.credentials->pid, ::getpid());
  server.value()->shutdown();
  EXPECT_FALSE(std::filesystem::exists(socket_path(dir, "syncd")));
  std::filesystem::remove_all(dir);
}

TEST(grpc_access, a_context_without_recorded_credentials_is_refused) {
  grpc::ServerContext context;  // not from a socket: peer() is empty
  auto status = authorize(&context, "/lbha.v1.Ha/GetStatus");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace lbha
