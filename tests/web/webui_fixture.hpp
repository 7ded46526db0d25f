// The WebUI served in one process for tests: the HTTPS listener on
// 127.0.0.1 port 0 with a first-start certificate, the HTTP redirect port, the
// app with the test doubles behind it (fake_authenticator, fake_node), and a
// Beast TLS client that verifies the certificate. Shared by
// webui_server_test.cpp (log-in, sessions, limits) and webui_pages_test.cpp
// (the change pages).
#pragma once

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <memory>
#include <regex>
#include <string>
#include <thread>

#include "common/clock.hpp"
#include "tests/support/scratch_dir.hpp"
#include "tests/web/fixtures.hpp"
#include "web/certificate_files.hpp"
#include "web/http_session.hpp"
#include "web/listener.hpp"
#include "web/tls_context.hpp"
#include "web/web_app.hpp"

namespace lbha::web {

class webui_server : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        ensure_certificate(dir_ / "cert.pem", dir_ / "key.pem", {"localhost", {"127.0.0.1"}}));
    auto tls = make_server_tls(dir_ / "cert.pem", dir_ / "key.pem");
    ASSERT_TRUE(tls) << tls.error().message();
    tls_ = tls.value();
    auth_.accounts = {{"admin", {"secret", access::admin}},
                      {"operator", {"look", access::read_only}},
                      {"nobody", {"pw", std::nullopt}}};
    app_ = std::make_unique<web_app>(
        clock_, auth_, node_, workers_,
        web_app_settings{
            .node_name = "lb1", .session_idle = std::chrono::minutes(15), .login = {}});
    handler_ = app_->handler();
    const asio::ip::tcp::endpoint local(asio::ip::make_address("127.0.0.1"), 0);
    https_ = std::make_unique<listener>(io_, local, 16, [this](asio::ip::tcp::socket s) {
      return serve_https(std::move(s), tls_, handler_, limits_);
    });
    ASSERT_TRUE(https_->open());
    port_ = https_->port();
    redirect_ = std::make_unique<listener>(io_, local, 16, [this](asio::ip::tcp::socket s) {
      return serve_redirect(std::move(s), port_, limits_);
    });
    ASSERT_TRUE(redirect_->open());
    redirect_port_ = redirect_->port();
    https_->start();
    redirect_->start();
    thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (thread_.joinable()) {
      asio::post(io_, [this] {
        https_->stop();
        redirect_->stop();
      });
      thread_.join();  // returns once every connection has ended
    }
    workers_.join();
  }

  // One request on a new TLS connection that verifies the server's certificate.
  response fetch(request req, long max_tls_version = 0) {
    namespace beast = boost::beast;
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file((dir_ / "cert.pem").string());
    ctx.set_verify_mode(asio::ssl::verify_peer);
    ctx.set_verify_callback(asio::ssl::rfc2818_verification("127.0.0.1"));
    if (max_tls_version) {
      SSL_CTX_set_security_level(ctx.native_handle(), 0);
      SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
      SSL_CTX_set_max_proto_version(ctx.native_handle(), max_tls_version);
    }
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    stream.next_layer().connect({asio::ip::make_address("127.0.0.1"), port_});
    stream.handshake(asio::ssl::stream_base::client);
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    response res;
    http::read(stream, buffer, res);
    return res;
  }

  response get(std::string target, std::string cookie = "") {
    request req{http::verb::get, target, 11};
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    return fetch(std::move(req));
  }

  response post(std::string target, std::string body, std::string cookie = "",
                std::string origin = "") {
    request req{http::verb::post, target, 11};
    req.set(http::field::content_type, "application/x-www-form-urlencoded");
    if (!cookie.empty()) req.set(http::field::cookie, cookie);
    if (!origin.empty()) req.set(http::field::origin, origin);
    req.body() = std::move(body);
    return fetch(std::move(req));
  }

  // Logs in and returns the Cookie header value to send back.
  std::string log_in(const std::string& user, const std::string& password) {
    const auto res = post("/lbadmin/login", "user=" + user + "&password=" + password);
    EXPECT_EQ(res.result(), http::status::see_other) << res.body();
    const std::string set_cookie(res[http::field::set_cookie]);
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  std::string csrf_of(const std::string& page) {
    std::smatch m;
    if (!std::regex_search(page, m, std::regex("name=\"csrf\" value=\"([0-9a-f]{64})\"")))
      return "";
    return m[1];
  }

  test_support::scratch_dir dir_{"webui"};
  manual_clock clock_;
  testing::fake_authenticator auth_;
  testing::fake_node node_;
  asio::thread_pool workers_{2};
  http_limits limits_;
  std::unique_ptr<web_app> app_;
  request_handler handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  asio::io_context io_;
  std::unique_ptr<listener> https_;
  std::unique_ptr<listener> redirect_;
  std::uint16_t port_ = 0;
  std::uint16_t redirect_port_ = 0;
  std::thread thread_;
};

}  // namespace lbha::web
