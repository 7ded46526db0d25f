// receive.sock: the relay's framing, the SO_PEERCRED check, and a
// replicatord that is not there, with the real receiver behind the server.
#include "replicator/pairing/receive_socket.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "replicator/pairing/config_commit.hpp"
#include "test_support.hpp"

namespace lbha::pairing {
namespace {

using testing::temp_dir;

lbha::v1::ReceiveRequest status_request() {
  lbha::v1::ReceiveRequest request;
  request.mutable_status();
  return request;
}

// Sends `bytes` on a fresh connection to `socket`, closes the write side and
// returns everything the server answered.
std::string send_raw(const std::filesystem::path& socket, const std::string& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "connect failed: " + std::string(std::strerror(errno));
  }
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string out;
  char buffer[1024];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  ::close(fd);
  return out;
}

// lb2 in a temp dir with an empty committed cluster.yaml, and receive.sock
// served by the real receiver as replicatord serves it.
class receive_socket_test : public ::testing::Test {
 protected:
  void SetUp() override {
    node_ = testing::make_node(dir_.path(), "lb2");
    ASSERT_TRUE(store_cluster(cluster_config_path(node_.config_dir), empty_cluster_config()));
    socket_ = receive_socket_path(node_.run_dir);
  }

  result<void> serve(std::set<uid_t> allowed, std::optional<gid_t> group = std::nullopt) {
    server_ = std::make_unique<receive_server>(
        receive_server::options{.socket = socket_,
                                .allowed_uids = std::move(allowed),
                                .socket_group = group,
                                .node_name = node_.node_name,
                                .read_timeout = std::chrono::seconds(5)},
        [this](const lbha::v1::ReceiveRequest& request, const relay_header& how) {
          ++handled_;
          last_header_ = how;
          receiver rx(node_, "/usr/bin/lbha-receive-config --restricted", daemons_);
          return rx.handle(request, how.restricted, how.client_address);
        });
    return server_->start();
  }

  temp_dir dir_;
  node_context node_;
  std::filesystem::path socket_;
  testing::recording_daemons daemons_;
  std::unique_ptr<receive_server> server_;
  int handled_ = 0;
  relay_header last_header_;
};

TEST(relay_header, round_trips_and_refuses_anything_else) {
  relay_header h{.restricted = false, .client_address = "192.0.2.1"};
  EXPECT_EQ(encode_relay_header(h), "LBHA-RELAY 1 password 192.0.2.1\n");
  auto line = encode_relay_header(h);
  EXPECT_EQ(decode_relay_header(line.substr(0, line.size() - 1)).value(), h);
  EXPECT_EQ(decode_relay_header("LBHA-RELAY 1 restricted -").value(), relay_header{});
  EXPECT_FALSE(decode_relay_header("LBHA-RELAY 2 restricted -"));
  EXPECT_FALSE(decode_relay_header("LBHA-RELAY 1 root -"));
  EXPECT_FALSE(decode_relay_header("LBHA-RELAY 1 restricted - extra"));
  EXPECT_FALSE(decode_relay_header("LBHA-RECEIVE 1 10 abc"));
}

TEST(read_framed_request, takes_exactly_one_frame_and_refuses_a_torn_one) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  lbha::v1::ReceiveRequest config;
  *config.mutable_config() = testing::one_service_config();
  const auto framed = encode_request(config);
  ASSERT_EQ(::write(fds[1], framed.data(), framed.size()), static_cast<ssize_t>(framed.size()));
  ASSERT_EQ(::write(fds[1], framed.data(), framed.size() - 3),
            static_cast<ssize_t>(framed.size() - 3));
  ::close(fds[1]);
  EXPECT_EQ(read_framed_request(fds[0]).value(), framed);
  auto torn = read_framed_request(fds[0]);
  ASSERT_FALSE(torn);
  EXPECT_NE(torn.error().message().find("transfer incomplete"), std::string::npos);
  ::close(fds[0]);

  ASSERT_EQ(::pipe(fds), 0);
  const std::string huge = "LBHA-RECEIVE 1 " + std::to_string(max_request_bytes + 1) + " 00\n";
  ASSERT_GT(::write(fds[1], huge.data(), huge.size()), 0);
  ::close(fds[1]);
  auto refused = read_framed_request(fds[0]);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("too large"), std::string::npos);
  ::close(fds[0]);
}

TEST_F(receive_socket_test, a_relayed_request_reaches_the_receiver_and_its_reply_comes_back) {
  ASSERT_TRUE(serve({::geteuid()}));
  struct stat st {};
  ASSERT_EQ(::stat(socket_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  auto reply = relay_request(socket_, "lb2", {.restricted = true, .client_address = "192.0.2.1"},
                             encode_request(status_request()));
  EXPECT_TRUE(reply.ok) << format_reply(reply);
  EXPECT_EQ(reply.node, "lb2");
  EXPECT_EQ(reply.message, "not paired");
  EXPECT_EQ(last_header_.client_address, "192.0.2.1");

  // The forced command's relay may not pair: the receiver sees `restricted`.
  lbha::v1::ReceiveRequest pair;
  pair.mutable_pair()->set_cluster_id("c1");
  reply = relay_request(socket_, "lb2", {.restricted = true, .client_address = ""}, encode_request(pair));
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.message.find("pairing needs the password login"), std::string::npos)
      << reply.message;
  EXPECT_EQ(handled_, 2);
}

TEST_F(receive_socket_test, a_torn_or_garbled_request_applies_nothing) {
  ASSERT_TRUE(serve({::geteuid()}));
  lbha::v1::ReceiveRequest config;
  *config.mutable_config() = testing::one_service_config();
  config.mutable_config()->set_generation(5);
  const auto framed = encode_request(config);
  const auto relay = encode_relay_header({});

  auto torn = send_raw(socket_, relay + framed.substr(0, framed.size() - 10));
  EXPECT_NE(torn.find("ERROR node=lb2"), std::string::npos) << torn;
  EXPECT_NE(torn.find("transfer incomplete"), std::string::npos) << torn;

  auto corrupted = framed;
  corrupted.back() ^= 1;
  auto mismatch = send_raw(socket_, relay + corrupted);
  EXPECT_NE(mismatch.find("digest mismatch"), std::string::npos) << mismatch;

  auto no_relay_line = send_raw(socket_, framed);
  EXPECT_NE(no_relay_line.find("not an lbha relay header"), std::string::npos) << no_relay_line;

  auto endless = send_raw(socket_, std::string(4096, 'x'));
  EXPECT_NE(endless.find("longer than 256 bytes"), std::string::npos) << endless;

  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(load_cluster_header(cluster_config_path(node_.config_dir)).value().generation(), 0u);
}

TEST_F(receive_socket_test, a_uid_that_is_not_allowed_is_refused_before_anything_is_read) {
  const uid_t someone_else = ::geteuid() + 1;
  ASSERT_TRUE(serve({someone_else}));
  auto reply = relay_request(socket_, "lb2", {}, encode_request(status_request()));
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.message,
            "refused: uid " + std::to_string(::geteuid()) + " may not hand configs to this node");
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(server_->refused(), 1);
}

// The real thing: another account on the machine, which the socket's mode lets
// connect, is turned away by SO_PEERCRED.
TEST_F(receive_socket_test, another_account_is_refused_by_its_peer_credentials) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a child as another uid (setuid)";
  const passwd* nobody = ::getpwnam("nobody");
  if (nobody == nullptr) GTEST_SKIP() << "no user 'nobody' to run the child as";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;
  // The socket's group is the child's, as it is the login user's in production.
  ASSERT_TRUE(serve({0}, gid));
  for (auto p = socket_.parent_path(); p != dir_.path().parent_path(); p = p.parent_path()) {
    ::chmod(p.c_str(), 0711);
  }
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const auto framed = encode_request(status_request());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(out[0]);
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) ::_exit(3);
    auto line = format_reply(relay_request(socket_, "lb2", {}, framed));
    ::_exit(::write(out[1], line.data(), line.size()) == static_cast<ssize_t>(line.size()) ? 0 : 4);
  }
  ::close(out[1]);
  std::string answer;
  char buffer[512];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) answer.append(buffer, n);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(answer.rfind("ERROR node=lb2", 0), 0u) << answer;
  EXPECT_NE(answer.find("refused: uid " + std::to_string(uid)), std::string::npos) << answer;
  EXPECT_EQ(handled_, 0);
  EXPECT_EQ(server_->refused(), 1);
  // Root itself is served.
  EXPECT_TRUE(relay_request(socket_, "lb2", {}, framed).ok);
}

TEST_F(receive_socket_test, a_request_while_replicatord_is_down_says_so_and_applies_nothing) {
  auto reply = relay_request(socket_, "lb2", {}, encode_request(status_request()));
  EXPECT_FALSE(reply.ok);
  EXPECT_EQ(reply.node, "lb2");
  EXPECT_EQ(reply.message.rfind("lbha-replicatord is not running on lb2", 0), 0u) << reply.message;
  EXPECT_NE(format_reply(reply).find("ERROR node=lb2"), std::string::npos);

  // A socket left behind by a killed replicatord: nobody accepts on it.
  ASSERT_TRUE(serve({::geteuid()}));
  server_->stop();
  int stale = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(stale);
  reply = relay_request(socket_, "lb2", {}, encode_request(status_request()));
  EXPECT_EQ(reply.message.rfind("lbha-replicatord is not running on lb2", 0), 0u) << reply.message;

  // And a replicatord that starts again replaces the stale socket.
  ASSERT_TRUE(serve({::geteuid()}));
  EXPECT_TRUE(relay_request(socket_, "lb2", {}, encode_request(status_request())).ok);
}

TEST_F(receive_socket_test, a_second_server_on_a_live_socket_is_refused) {
  ASSERT_TRUE(serve({::geteuid()}));
  receive_server other({.socket = socket_, .allowed_uids = {0}, .socket_group = std::nullopt, .node_name = "lb2", .read_timeout = std::chrono::seconds(5)},
                       [](const auto&, const auto&) { return receive_reply{}; });
  auto started = other.start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code(), std::errc::address_in_use);
  // ... and leaves the live one alone.
  EXPECT_TRUE(relay_request(socket_, "lb2", {}, encode_request(status_request())).ok);
}

}  // namespace
}  // namespace lbha::pairing
