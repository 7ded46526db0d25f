// The alert events health changes make: per server, then per service.
#include "proxy/health_alerts.hpp"

#include <gtest/gtest.h>

#include <map>

namespace lbha::proxy {
namespace {

std::shared_ptr<real_server_state> server(const std::string& label, const char* ip,
                                          std::uint16_t port) {
  // rise 1, fall 1: one check changes the state.
  return std::make_shared<real_server_state>(label, asio::ip::make_address(ip), port, 1,
                                             v1::REAL_SERVER_STATE_ONLINE, 1, 1);
}

pool web_pool(bool with_fallback) {
  pool p;
  p.settings.label = "web";
  p.settings.ip = asio::ip::make_address("192.0.2.10");
  p.settings.ports = {80, 8080};
  if (with_fallback) {
    p.settings.fallback = asio::ip::tcp::endpoint(asio::ip::make_address("192.0.2.99"), 0);
  }
  p.servers = {server("web1", "192.0.2.21", 0), server("web2", "192.0.2.22", 8000)};
  p.backup = {false, false};
  return p;
}

std::map<std::string, std::string> details(const alert_event& e) {
  return {e.details.begin(), e.details.end()};
}

class health_alerts_test : public ::testing::Test {
 protected:
  void SetUp() override {
    alerts_.set_sink([this](alert_event e) { events_.push_back(std::move(e)); });
  }
  void check(const pool& p, std::size_t index, bool passed, const std::string& detail) {
    auto& s = *p.servers[index];
    ASSERT_TRUE(s.record_check(passed, detail));
    alerts_.server_changed("web", p, s, detail);
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : events_) out.push_back(e.name);
    return out;
  }

  health_alerts alerts_;
  std::vector<alert_event> events_;
};

TEST_F(health_alerts_test, a_server_down_then_up_names_it_with_the_checks_reason) {
  const auto p = web_pool(false);
  alerts_.watch("web", p);
  check(p, 1, false, "connect: Connection refused");
  ASSERT_EQ(names(), std::vector<std::string>{"real_server_down"});
  auto d = details(events_[0]);
  EXPECT_EQ(d["SERVICE"], "web");
  EXPECT_EQ(d["REAL_SERVER"], "web2");
  EXPECT_EQ(d["ADDRESS"], "192.0.2.22");
  EXPECT_EQ(d["PORT"], "8000");
  EXPECT_EQ(d["REASON"], "connect: Connection refused");
  EXPECT_EQ(events_[0].message,
            "Real server web2 (192.0.2.22) of service web is down: connect: Connection refused.");
  check(p, 1, true, "connect: ok");
  ASSERT_EQ(names(), (std::vector<std::string>{"real_server_down", "real_server_up"}));
  EXPECT_EQ(details(events_[1])["REASON"], "connect: ok");
}

TEST_F(health_alerts_test, the_last_server_down_takes_the_service_down_and_the_first_up_back) {
  const auto p = web_pool(false);
  alerts_.watch("web", p);
  check(p, 0, false, "timeout");
  check(p, 1, false, "refused");
  ASSERT_EQ(names(),
            (std::vector<std::string>{"real_server_down", "real_server_down", "service_down"}));
  auto d = details(events_[2]);
  EXPECT_EQ(d["SERVICE"], "web");
  EXPECT_EQ(d["ADDRESS"], "192.0.2.10");
  EXPECT_EQ(d["REASON"], "refused");
  EXPECT_EQ(details(events_[0])["PORT"], "80,8080") << "a server without a port takes the VIP's";
  check(p, 0, true, "ok");
  ASSERT_EQ(events_.size(), 5u);
  EXPECT_EQ(events_[4].name, "service_up");
  EXPECT_EQ(details(events_[4])["REAL_SERVER"], "web1");
}

TEST_F(health_alerts_test, with_a_fallback_the_service_down_is_followed_by_fallback_in_use) {
  const auto p = web_pool(true);
  alerts_.watch("web", p);
  check(p, 0, false, "x");
  check(p, 1, false, "y");
  ASSERT_EQ(names(), (std::vector<std::string>{"real_server_down", "real_server_down",
                                               "service_down", "fallback_in_use"}));
  auto d = details(events_[3]);
  EXPECT_EQ(d["FALLBACK_ADDRESS"], "192.0.2.99");
  EXPECT_EQ(d["FALLBACK_PORT"], "80,8080");
}

TEST_F(health_alerts_test, rewatching_a_service_already_down_does_not_repeat_its_event) {
  const auto p = web_pool(false);
  alerts_.watch("web", p);
  check(p, 0, false, "x");
  check(p, 1, false, "y");
  ASSERT_EQ(events_.size(), 3u);
  alerts_.watch("web", p);  // a reload keeps the servers' state
  check(p, 0, true, "ok");
  ASSERT_EQ(events_.size(), 5u);
  EXPECT_EQ(events_[4].name, "service_up");
}

}  // namespace
}  // namespace lbha::proxy
