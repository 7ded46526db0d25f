// Health checks against in-test servers on 127.0.0.1.
#include "proxy/health_checker.hpp"

#include <gtest/gtest.h>

#include "tests/proxy/test_net.hpp"

namespace lbha::proxy {
namespace {

using namespace lbha::proxy::test_support;

std::pair<bool, std::string> check_once(const v1::HealthCheck& check, std::uint16_t port) {
  asio::io_context io;
  std::pair<bool, std::string> out;
  asio::co_spawn(io, run_check(check, tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)),
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

}  // namespace
}  // namespace lbha::proxy
