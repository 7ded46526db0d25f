// lbctl persistence show against an in-process proxyd double that streams its
// stick table through SnapshotTable: rows, order, --service, --json, errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {
namespace {

std::string address_bytes(const char* text) {
  unsigned char buf[16];
  if (::inet_pton(AF_INET, text, buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  EXPECT_EQ(::inet_pton(AF_INET6, text, buf), 1) << text;
  return std::string(reinterpret_cast<char*>(buf), 16);
}

v1::StickEntry entry(const char* service, const char* client, const char* server,
                     std::uint32_t expires_in_ms) {
  v1::StickEntry e;
  e.set_virtual_service(service);
  e.set_client(address_bytes(client));
  e.set_real_server(server);
  e.set_expires_in_ms(expires_in_ms);
  return e;
}

// Streams `batches` as proxyd does (several batches, in table order), or refuses.
class snapshot_proxy final : public v1::Proxy::Service {
 public:
  grpc::Status SnapshotTable(grpc::ServerContext*, const v1::SnapshotTableRequest*,
                             grpc::ServerWriter<v1::StickBatch>* writer) override {
    if (!refuse.empty()) return {grpc::StatusCode::PERMISSION_DENIED, refuse};
    for (const auto& batch : batches) writer->Write(batch);
    return grpc::Status::OK;
  }
  std::vector<v1::StickBatch> batches;
  std::string refuse;
};

struct lbctl_run {
  int code;
  std::string out;
  std::string err;
};

class lbctl_persistence : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lbctl_persistence_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    v1::StickBatch first, second;
    *first.add_entries() = entry("IIS_VIP", "192.0.2.32", "IIS2", 3'605'000);
    *first.add_entries() = entry("IIS_VIP", "2001:db8::31", "IIS1", 850);
    *second.add_entries() = entry("IIS_VIP", "192.0.2.31", "IIS1", 1'799'500);
    *second.add_entries() = entry("DA_VIP", "192.0.2.31", "DA2", 42'000);
    proxy_.batches = {first, second};
  }
  void TearDown() override {
    if (server_) server_->shutdown();
    std::filesystem::remove_all(dir_);
  }

  void serve() {
    auto server = start_unix_server(socket_path(dir_, "proxyd"), {&proxy_});
    ASSERT_TRUE(server.has_value());
    server_ = std::move(server.value());
  }

  lbctl_run lbctl(std::vector<const char*> args) {
    args.insert(args.begin(), "lbctl");
    args.push_back("--run-dir");
    args.push_back(dir_.c_str());
    args.push_back("--node-config");
    args.push_back("/nonexistent/node.yaml");
    std::ostringstream out, err;
    const int code = run_lbctl(static_cast<int>(args.size()), args.data(), out, err);
    return {code, out.str(), err.str()};
  }

  std::filesystem::path dir_;
  snapshot_proxy proxy_;
  std::unique_ptr<unix_server> server_;
};

TEST_F(lbctl_persistence, shows_one_row_per_entry_sorted_by_service_then_client) {
  serve();
  auto result = lbctl({"persistence", "show"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "SERVICE  CLIENT        SERVER  EXPIRES IN\n"
            "DA_VIP   192.0.2.31    DA2     42s\n"
            "IIS_VIP  192.0.2.31    IIS1    29m59s\n"
            "IIS_VIP  192.0.2.32    IIS2    1h00m05s\n"
            "IIS_VIP  2001:db8::31  IIS1    850ms\n"
            "4 entries\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(lbctl_persistence, service_filters_and_json_has_a_stable_schema) {
  serve();
  auto result = lbctl({"persistence", "show", "--service", "IIS_VIP", "--json"});
  EXPECT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "{\"schema\": \"lbha.persistence.v1\", \"entries\": [\n"
            "  {\"service\": \"IIS_VIP\", \"client\": \"192.0.2.31\", \"server\": \"IIS1\", "
            "\"expires_in_ms\": 1799500},\n"
            "  {\"service\": \"IIS_VIP\", \"client\": \"192.0.2.32\", \"server\": \"IIS2\", "
            "\"expires_in_ms\": 3605000},\n"
            "  {\"service\": \"IIS_VIP\", \"client\": \"2001:db8::31\", \"server\": \"IIS1\", "
            "\"expires_in_ms\": 850}\n"
            "]}\n");
}

TEST_F(lbctl_persistence, an_empty_table_says_so) {
  proxy_.batches.clear();
  serve();
  auto text = lbctl({"persistence", "show", "--service", "DA_VIP"});
  EXPECT_EQ(text.code, 0);
  EXPECT_EQ(text.out, "no persistence entries for DA_VIP\n");
  auto json = lbctl({"--json", "persistence", "show"});
  EXPECT_EQ(json.out, "{\"schema\": \"lbha.persistence.v1\", \"entries\": []}\n");
}

TEST_F(lbctl_persistence, proxyd_down_is_exit_3_and_a_refusal_exit_1) {
  auto down = lbctl({"persistence", "show"});
  EXPECT_EQ(down.code, 3);
  EXPECT_NE(down.err.find("lbha-proxyd did not answer on " + (dir_ / "proxyd.sock").string()),
            std::string::npos)
      << down.err;

  proxy_.refuse = "lbha.v1.Proxy/SnapshotTable changes the node and needs root";
  serve();
  auto refused = lbctl({"persistence", "show"});
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("lbha-proxyd refused: permission denied: lbha.v1.Proxy/SnapshotTable"),
            std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace lbha::cli
