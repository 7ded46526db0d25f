#include "common/grpc_unix.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "lbha/v1/sync.grpc.pb.h"

namespace lbha {
namespace {

class fake_sync final : public lbha::v1::Sync::Service {
  grpc::Status GetStatus(grpc::ServerContext*, const lbha::v1::SyncStatusRequest*,
                         lbha::v1::SyncStatus* reply) override {
    reply->add_peers()->set_name("peer-a");
    return grpc::Status::OK;
  }
};

std::filesystem::path test_dir() {
  auto d = std::filesystem::temp_directory_path() / ("lbha-grpc-" + std::to_string(::getpid()));
  std::filesystem::create_directories(d);
  return d;
}

TEST(grpc_unix, serves_on_socket_with_mode_0660_and_refuses_second_server) {
  auto dir = test_dir();
  auto path = socket_path(dir, "syncd");
  EXPECT_EQ(path, dir / "syncd.sock");
  fake_sync service;
  auto server = start_unix_server(path, {&service});
  ASSERT_TRUE(server) << server.error().message();

  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  auto stub = lbha::v1::Sync::NewStub(unix_channel(path));
  auto ctx = context_with_deadline(std::chrono::seconds(5));
  lbha::v1::SyncStatus reply;
  auto status = stub->GetStatus(ctx.get(), {}, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.peers_size(), 1);
  EXPECT_EQ(reply.peers(0).name(), "peer-a");

  fake_sync other;
  auto second = start_unix_server(path, {&other});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error(), std::errc::address_in_use);

  server.value()->shutdown();
  std::filesystem::remove_all(dir);
}

TEST(grpc_unix, socket_takes_the_run_directory_group) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the directory";
  auto dir = test_dir() / "grouped";
  std::filesystem::create_directories(dir);
  const gid_t group = 4242;  // any gid: root may chown to it
  ASSERT_EQ(::chown(dir.c_str(), 0, group), 0);
  fake_sync service;
  auto server = start_unix_server(socket_path(dir, "proxyd"), {&service});
  ASSERT_TRUE(server) << server.error().message();
  struct stat st {};
  ASSERT_EQ(::stat(socket_path(dir, "proxyd").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, group);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  server.value()->shutdown();
  std::filesystem::remove_all(dir);
}

TEST(grpc_unix, replaces_stale_socket_file) {
  auto dir = test_dir();
  auto path = socket_path(dir, "stale");
  { std::ofstream(path) << "left over"; }
  fake_sync service;
  auto server = start_unix_server(path, {&service});
  ASSERT_TRUE(server) << server.error().message();
  server.value()->shutdown();
  std::filesystem::remove_all(dir);
}

TEST(grpc_unix, unreachable_daemon_fails_by_deadline) {
  auto stub = lbha::v1::Sync::NewStub(unix_channel(test_dir() / "nobody.sock"));
  auto ctx = context_with_deadline(std::chrono::milliseconds(200));
  lbha::v1::SyncStatus reply;
  auto status = stub->GetStatus(ctx.get(), {}, &reply);
  EXPECT_FALSE(status.ok());
}

// A daemon restarted under a client (proxyd handing its connections over,
// polled by heartbeatd) answers that client's next call: the channel does not
// sit out gRPC's reconnect backoff of a second or more.
TEST(grpc_unix, a_channel_reaches_a_restarted_server_on_its_next_call) {
  auto dir = test_dir();
  auto path = socket_path(dir, "restarting");
  fake_sync first;
  auto server = start_unix_server(path, {&first});
  ASSERT_TRUE(server) << server.error().message();
  auto stub = lbha::v1::Sync::NewStub(unix_channel(path));
  auto call = [&] {
    auto ctx = context_with_deadline(std::chrono::milliseconds(300));
    lbha::v1::SyncStatus reply;
    return stub->GetStatus(ctx.get(), {}, &reply);
  };
  ASSERT_TRUE(call().ok());
  server.value()->shutdown();
  ASSERT_FALSE(call().ok());  // the channel has seen its server go

  fake_sync second;
  auto restarted = start_unix_server(path, {&second});
  ASSERT_TRUE(restarted) << restarted.error().message();
  // heartbeatd polls every 500 ms; gRPC's default channel would still be
  // backing off (1 s +- 20 %) here and fail this call at once.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  const auto status = call();
  EXPECT_TRUE(status.ok()) << status.error_message();
  restarted.value()->shutdown();
  std::filesystem::remove_all(dir);
}

// A daemon that is alive but does not answer (stopped, hung) is reported as
// timed out at the caller's deadline, not as unreachable: the short retry
// above must not shorten gRPC's connect timeout (lbctl says "timed out").
TEST(grpc_unix, a_server_that_never_answers_times_out_at_the_deadline) {
  auto dir = test_dir();
  auto path = socket_path(dir, "hung");
  // Listening, so the kernel completes the connection, but never accepting:
  // no HTTP/2 handshake ever comes.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  auto stub = lbha::v1::Sync::NewStub(unix_channel(path));
  auto ctx = context_with_deadline(std::chrono::milliseconds(500));
  lbha::v1::SyncStatus reply;
  const auto status = stub->GetStatus(ctx.get(), {}, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  ::close(fd);
  std::filesystem::remove_all(dir);
}

TEST(run_on, runs_on_io_thread_and_returns_value) {
  asio::io_context io;
  auto guard = asio::make_work_guard(io);
  std::thread t([&] { io.run(); });
  auto io_thread = t.get_id();
  auto [value, thread] = run_on(io, [] { return std::pair{42, std::this_thread::get_id()}; });
  EXPECT_EQ(value, 42);
  EXPECT_EQ(thread, io_thread);
  guard.reset();
  t.join();
}

}  // namespace
}  // namespace lbha
