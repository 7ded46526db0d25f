// Health checks against in-test servers on 127.0.0.1.
#include "proxy/health_checker.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "common/state/pair_certificate.hpp"
#include "tests/proxy/test_net.hpp"
#include "tests/support/scratch_dir.hpp"

namespace lbha::proxy {
namespace {

using namespace lbha::proxy::test_support;

std::pair<bool, std::string> check_once(const v1::HealthCheck& check, std::uint16_t port,
                                        check_context context = {}) {
  asio::io_context io;
  std::pair<bool, std::string> out;
  asio::co_spawn(io,
                 run_check(check, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                           std::move(context)),
                 [&](std::exception_ptr e, std::pair<bool, std::string> r) {
                   if (e) std::rethrow_exception(e);
                   out = std::move(r);
                 });
  io.run();
  return out;
}

v1::HealthCheck http_check(const std::string& expect) {
  v1::HealthCheck c;
  c.set_type(v1::HealthCheck::TYPE_HTTP);
  c.set_path("/health");
  c.set_expect(expect);
  c.set_timeout_ms(1000);
  return c;
}

TEST(health_check, connect_passes_on_a_listener_and_fails_on_a_closed_port) {
  backend a("a");
  v1::HealthCheck c;
  c.set_type(v1::HealthCheck::TYPE_CONNECT);
  c.set_timeout_ms(1000);
  EXPECT_TRUE(check_once(c, a.port()).first);
  const auto port = a.port();
  a.stop();
  auto [passed, detail] = check_once(c, port);
  EXPECT_FALSE(passed);
  EXPECT_NE(detail.find("connect"), std::string::npos) << detail;
}

TEST(health_check, http_needs_the_expected_text_and_a_good_status) {
  backend web("web", backend::mode::http);
  EXPECT_TRUE(check_once(http_check("fine"), web.port()).first);
  EXPECT_TRUE(check_once(http_check(""), web.port()).first);
  auto [passed, detail] = check_once(http_check("sick"), web.port());
  EXPECT_FALSE(passed);
  EXPECT_NE(detail.find("expected text"), std::string::npos) << detail;
}

TEST(health_check, http_error_status_fails) {
  backend web("web", backend::mode::http);
  web.http_response = "HTTP/1.1 503 Unavailable\r\nContent-Length: 4\r\n\r\nfine";
  auto [passed, detail] = check_once(http_check("fine"), web.port());
  EXPECT_FALSE(passed);
  EXPECT_EQ(detail, "http status 503");
}

TEST(health_check, server_that_never_answers_fails_within_the_timeout) {
  backend silent("silent", backend::mode::silent);
  auto c = http_check("");
  c.set_timeout_ms(200);
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(check_once(c, silent.port()).first);
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
}

TEST(health_check, expect_status_takes_a_code_or_a_range) {
  backend web("web", backend::mode::http);
  web.http_response = "HTTP/1.1 503 Unavailable\r\nContent-Length: 4\r\n\r\nfine";
  auto c = http_check("fine");
  c.set_expect_status("500-599");
  EXPECT_EQ(check_once(c, web.port()), (std::pair<bool, std::string>{true, "http 503"}));
  c.set_expect_status("200");
  EXPECT_EQ(check_once(c, web.port()), (std::pair<bool, std::string>{false, "http status 503"}));
  web.http_response = "HTTP/1.1 301 Moved\r\nContent-Length: 4\r\n\r\nfine";
  EXPECT_EQ(check_once(c, web.port()).second, "http status 301") << "200 alone, not 2xx/3xx";
  c.clear_expect_status();
  EXPECT_TRUE(check_once(c, web.port()).first) << "the default takes any 2xx or 3xx";
}

// An HTTPS real server on 127.0.0.1 with a self-signed certificate whose
// name is "lbha-pair-iis" (common/state's pair certificate, CN only).
class tls_backend {
 public:
  tls_backend(std::string body, const std::filesystem::path& dir)
      : tls_(asio::ssl::context::tls_server), acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    auto pair = state::make_pair_certificate("iis");
    EXPECT_TRUE(pair) << pair.error().message();
    certificate_ = dir / "iis.pem";
    std::ofstream(certificate_) << pair.value().certificate_pem;
    tls_.use_certificate_chain(asio::buffer(pair.value().certificate_pem));
    tls_.use_private_key(asio::buffer(pair.value().private_key_pem), asio::ssl::context::pem);
    response_ = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    thread_ = std::thread([this] { serve(); });
  }
  ~tls_backend() {
    stopped_ = true;
    boost::system::error_code ec;
    tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ec);  // wakes the blocking accept
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  const std::filesystem::path& certificate() const { return certificate_; }
  std::string server_name() const {
    std::lock_guard lock(mutex_);
    return server_name_;
  }

 private:
  void serve() {
    while (!stopped_) {
      asio::ssl::stream<tcp::socket> stream(io_, tls_);
      boost::system::error_code ec;
      acceptor_.accept(stream.next_layer(), ec);
      if (ec || stopped_) continue;
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) continue;  // the client refused our certificate
      if (const char* sni = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name)) {
        std::lock_guard lock(mutex_);
        server_name_ = sni;
      }
      asio::streambuf request;
      asio::read_until(stream, request, "\r\n\r\n", ec);
      asio::write(stream, asio::buffer(response_), ec);
      stream.shutdown(ec);
    }
  }

  asio::io_context io_;
  asio::ssl::context tls_;
  tcp::acceptor acceptor_;
  std::filesystem::path certificate_;
  std::string response_;
  std::atomic<bool> stopped_{false};
  mutable std::mutex mutex_;
  std::string server_name_;
  std::thread thread_;
};

TEST(health_check, https_negotiates_tls_sends_the_host_as_sni_and_checks_the_body) {
  lbha::test_support::scratch_dir dir("https-check");
  tls_backend iis("IIS1 is fine", dir.path());
  auto c = http_check("fine");
  c.set_type(v1::HealthCheck::TYPE_HTTPS);
  c.set_host("lbha-pair-iis");
  EXPECT_EQ(check_once(c, iis.port()), (std::pair<bool, std::string>{true, "https 200"}));
  EXPECT_EQ(iis.server_name(), "lbha-pair-iis");
  c.set_expect("sick");
  EXPECT_EQ(check_once(c, iis.port()).second, "https 200: expected text not found");
  // Plain HTTP against the TLS port fails: the check really speaks TLS.
  auto plain = http_check("fine");
  EXPECT_FALSE(check_once(plain, iis.port()).first);
}

TEST(health_check, https_with_verify_accepts_only_the_right_ca_and_name) {
  lbha::test_support::scratch_dir dir("https-verify");
  tls_backend iis("fine", dir.path());
  auto c = http_check("fine");
  c.set_type(v1::HealthCheck::TYPE_HTTPS);
  c.set_verify(true);
  c.set_ca_file(iis.certificate().string());
  c.set_host("lbha-pair-iis");
  EXPECT_EQ(check_once(c, iis.port()), (std::pair<bool, std::string>{true, "https 200"}));
  c.set_host("www.example.org");  // the certificate is not for this name
  auto [passed, detail] = check_once(c, iis.port());
  EXPECT_FALSE(passed);
  EXPECT_EQ(detail.rfind("tls handshake:", 0), 0u) << detail;
  c.set_host("lbha-pair-iis");
  c.clear_ca_file();  // the system's CAs never signed this self-signed certificate
  EXPECT_EQ(check_once(c, iis.port()).second.rfind("tls handshake:", 0), 0u);
  c.set_ca_file((dir.path() / "missing.pem").string());
  auto tls = make_check_tls(c);
  ASSERT_FALSE(tls);
  EXPECT_NE(tls.error().message().find("missing.pem"), std::string::npos) << tls.error().message();
}

// An executable shell script in `dir`.
std::string script(const std::filesystem::path& dir, const std::string& name,
                   const std::string& body) {
  const auto path = dir / name;
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ::chmod(path.c_str(), 0755);
  return path.string();
}

v1::HealthCheck external_check(std::vector<std::string> command, std::uint32_t timeout_ms = 2000) {
  v1::HealthCheck c;
  c.set_type(v1::HealthCheck::TYPE_EXTERNAL);
  c.set_timeout_ms(timeout_ms);
  for (auto& arg : command) c.add_command(std::move(arg));
  return c;
}

TEST(health_check, external_check_gets_the_server_in_its_environment_and_its_exit_status_decides) {
  lbha::test_support::scratch_dir dir("external-check");
  ::setenv("LBHA_TEST_SECRET", "proxyd's own environment", 1);
  const auto check = script(dir.path(), "check",
                            "echo \"$LBHA_VS_LABEL/$LBHA_RS_LABEL $LBHA_RS_ADDR:$LBHA_RS_PORT "
                            "$HAPROXY_SERVER_ADDR:$HAPROXY_SERVER_PORT [$LBHA_TEST_SECRET] $1\"\n"
                            "exit \"$2\"");
  const check_context context{nullptr, "IIS_VIP", "IIS1"};
  EXPECT_EQ(check_once(external_check({check, "deep", "0"}), 8443, context),
            (std::pair<bool, std::string>{
                true, "exit 0: IIS_VIP/IIS1 127.0.0.1:8443 127.0.0.1:8443 [] deep"}));
  EXPECT_EQ(check_once(external_check({check, "shallow", "3"}), 8443, context),
            (std::pair<bool, std::string>{
                false, "exit 3: IIS_VIP/IIS1 127.0.0.1:8443 127.0.0.1:8443 [] shallow"}));
  ::unsetenv("LBHA_TEST_SECRET");
}

TEST(health_check, external_check_that_hangs_is_killed_with_its_children_at_the_timeout) {
  lbha::test_support::scratch_dir dir("external-hang");
  const auto marker = dir.path() / "child-alive";
  // A child of the check outlives its parent's kill unless the whole group goes.
  const auto check = script(dir.path(), "hang",
                            "(sleep 1; touch " + marker.string() + ") &\nsleep 30");
  const auto before = std::chrono::steady_clock::now();
  EXPECT_EQ(check_once(external_check({check}, 200), 80),
            (std::pair<bool, std::string>{false, "killed after 200 ms"}));
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the check's child survived it";
}

TEST(health_check, external_check_that_cannot_run_fails_and_says_why) {
  auto [passed, detail] = check_once(external_check({"/nonexistent/check-iis"}), 80);
  EXPECT_FALSE(passed);
  EXPECT_EQ(detail, "cannot run /nonexistent/check-iis: No such file or directory");
}

}  // namespace
}  // namespace lbha::proxy
