// lbha-webd whole, in process: the shared runtime with webd's spec on a
// thread, node.yaml in a scratch directory. It makes its certificate, serves
// the log-in page over TLS, answers lbha.v1.Web on its socket, reloads the
// node's name through Web.Reload, and stops promptly; and it serves /metrics
// on plain HTTP from doubles of the four daemons on Unix sockets in its run
// directory.
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
#include "tests/web/fake_daemons.hpp"
#include "tests/web/promtool.hpp"
#include "tests/web/web_status.hpp"
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
        << "\n  metrics_listen: 127.0.0.1:" << metrics_port_
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

  // A plain HTTP request to the metrics port; a HEAD's answer is read
  // without a body, as its Content-Length is the GET's.
  http::response<http::string_body> metrics(http::verb method, std::string target = "/metrics") {
    asio::io_context io;
    beast::tcp_stream stream(io);
    stream.connect({asio::ip::make_address("127.0.0.1"), metrics_port_});
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read(stream, buffer, parser);
    return parser.release();
  }

  test_support::scratch_dir dir_{"webd"};
  std::uint16_t port_ = free_port();
  std::uint16_t metrics_port_ = free_port();
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

TEST_F(webd_daemon, serves_metrics_from_the_daemons_sockets) {
  // The four daemons as doubles on their sockets, where webd's run_dir says.
  test_doubles::fake_node daemons;
  ASSERT_NO_FATAL_FAILURE(daemons.serve(dir_ / "run"));
  write_node_yaml("lb-test");
  auto done = run();

  const auto res = metrics(http::verb::get);
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const auto& page = res.body();
  for (const char* daemon : {"heartbeatd", "proxyd", "syncd", "replicatord"}) {
    EXPECT_THAT(page, HasSubstr("lbha_daemon_up{daemon=\"" + std::string(daemon) + "\"} 1\n"));
  }
  // Values from the doubles' replies: the role, proxyd's generation, its service.
  EXPECT_THAT(page, HasSubstr("lbha_ha_role{role=\"active\"} 1\n"));
  EXPECT_THAT(page, HasSubstr("lbha_daemon_config_generation{daemon=\"proxyd\"} 7\n"));
  EXPECT_THAT(page, HasSubstr("lbha_backend_current_sessions{proxy=\"DA_VIP\"} 0\n"));
  if (const auto checked = test_doubles::promtool_check(page)) {
    EXPECT_EQ(checked->status, 0) << checked->output;
  }

  const auto head = metrics(http::verb::head);
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head[http::field::content_length], std::to_string(page.size()));
  EXPECT_EQ(head.body(), "");
  const auto post = metrics(http::verb::post);
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
  EXPECT_EQ(metrics(http::verb::get, "/lbadmin/").result(), http::status::not_found);

  const auto status = test_doubles::web_status(dir_ / "run");
  EXPECT_EQ(status.metrics_listen(), "127.0.0.1:" + std::to_string(metrics_port_));
  EXPECT_EQ(status.metrics_port(), metrics_port_);
  EXPECT_EQ(status.scrapes(), 2u) << "the GET and the HEAD";

  runtime_->request_stop();
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready) << "the runtime did not return";
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
