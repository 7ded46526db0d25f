// lbha-webd whole, in process: the shared runtime with webd's spec on a
// thread, node.yaml in a scratch directory. It makes its certificate, serves
// the log-in page over TLS, answers lbha.v1.Web on its socket, reloads the
// node's name through Web.Reload, and stops promptly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fstream>
#include <future>

#include "common/asio_ssl.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/web.grpc.pb.h"
#include "tests/support/scratch_dir.hpp"
#include "web/webd.hpp"

namespace lbha::web {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

// A port that was free a moment ago (webd takes its port from node.yaml).
std::uint16_t free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

class webd_daemon : public ::testing::Test {
 protected:
  void write_node_yaml(const std::string& name) {
    std::ofstream(dir_ / "node.yaml")
        << "node_name: " << name << "\ninterface: lo\nlocal_addresses: [127.0.0.1]\n"
        << "directories: {config_dir: " << (dir_ / "etc").string()
        << ", state_dir: " << (dir_ / "state").string() << ", run_dir: " << (dir_ / "run").string()
        << "}\nweb:\n  https_listen: 127.0.0.1:" << port_
        << "\n  certificate: " << (dir_ / "web/cert.pem").string()
        << "\n  key: " << (dir_ / "web/key.pem").string() << "\n";
  }

  std::future<void> run() {
    std::filesystem::create_directories(dir_ / "etc");
    daemon_options options;
    options.node_config = dir_ / "node.yaml";
    runtime_ = std::make_unique<daemon_runtime>(webd_spec(), options, clock_, supervisor_);
    if (auto r = runtime_->start(); !r) ADD_FAILURE() << r.error();
    return std::async(std::launch::async, [this] { runtime_->run(); });
  }

  std::string login_page() {
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file((dir_ / "web/cert.pem").string());
    ctx.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port_});
    stream.handshake(asio::ssl::stream_base::client);
    http::request<http::string_body> req{http::verb::get, "/lbadmin/login", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return res.body();
  }

  test_support::scratch_dir dir_{"webd"};
  std::uint16_t port_ = free_port();
  steady_clock clock_;
  systemd_supervisor supervisor_;  // no NOTIFY_SOCKET here: silent
  std::unique_ptr<daemon_runtime> runtime_;
};

TEST_F(webd_daemon, serves_reloads_and_stops) {
  write_node_yaml("lb-test");
  auto done = run();
  struct stat key {};
  ASSERT_EQ(::stat((dir_ / "web/key.pem").c_str(), &key), 0) << "the first-start key";
  EXPECT_EQ(key.st_mode & 0777, 0600u);
  EXPECT_THAT(login_page(), HasSubstr("<title>Log in - lb-test - lbha</title>"));

  auto stub = v1::Web::NewStub(unix_channel(socket_path(dir_ / "run", "webd")));
  {
    auto context = context_with_deadline(5s);
    v1::WebStatus status;
    ASSERT_TRUE(stub->GetStatus(context.get(), v1::WebStatusRequest{}, &status).ok());
    EXPECT_EQ(status.https_listen(), "127.0.0.1:" + std::to_string(port_));
    EXPECT_EQ(status.https_port(), port_);
    EXPECT_EQ(status.http_listen(), "");
    EXPECT_EQ(status.sessions(), 0u);
  }

  write_node_yaml("lb-renamed");
  {
    auto context = context_with_deadline(5s);
    v1::ReloadResult result;
    ASSERT_TRUE(stub->Reload(context.get(), v1::ReloadRequest{}, &result).ok());
    EXPECT_TRUE(result.ok()) << result.message();
  }
  EXPECT_THAT(login_page(), HasSubstr("<title>Log in - lb-renamed - lbha</title>"));

  runtime_->request_stop();
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready) << "the runtime did not return";
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address("127.0.0.1"), port_}, ec);
  EXPECT_TRUE(ec) << "the listener is closed";
}

TEST_F(webd_daemon, an_unusable_certificate_stops_the_start) {
  write_node_yaml("lb-test");
  std::filesystem::create_directories(dir_ / "web");
  std::ofstream(dir_ / "web/cert.pem") << "not a certificate\n";
  std::ofstream(dir_ / "web/key.pem") << "not a key\n";
  daemon_options options;
  options.node_config = dir_ / "node.yaml";
  daemon_runtime runtime(webd_spec(), options, clock_, supervisor_);
  auto r = runtime.start();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message(), HasSubstr("cert.pem: not a PEM certificate chain"));
}

}  // namespace
}  // namespace lbha::web
