// A running engine with a control io_context thread, for loopback tests.
#pragma once

#include <map>
#include <optional>
#include <thread>

#include <gtest/gtest.h>

#include "proxy/engine.hpp"
#include "tests/proxy/test_net.hpp"

namespace lbha::proxy::test_support {

using namespace std::chrono_literals;

class engine_test : public ::testing::Test {
 protected:
  void SetUp() override {
    guard_.emplace(control_.get_executor());
    control_thread_ = std::thread([this] { control_.run(); });
  }
  void TearDown() override {
    if (engine_) engine_->stop();
    engine_.reset();
    guard_.reset();
    control_.stop();
    control_thread_.join();
  }

  // A service on the reserved port with the given backends (label = backend name).
  v1::VirtualService service(const std::string& label, const std::vector<backend*>& backends,
                             std::vector<std::uint32_t> weights = {}) {
    v1::VirtualService vs;
    vs.set_label(label);
    vs.set_ip("127.0.0.1");
    auto* r = vs.add_ports();
    r->set_first(port_.port());
    r->set_last(port_.port());
    vs.set_balance(v1::BALANCE_ROUNDROBIN);
    vs.mutable_check()->set_type(v1::HealthCheck::TYPE_NONE);
    for (std::size_t i = 0; i < backends.size(); ++i) {
      auto* rs = vs.add_real_servers();
      rs->set_label(backends[i]->name());
      rs->set_ip("127.0.0.1");
      rs->set_port(backends[i]->port());
      rs->set_weight(i < weights.size() ? weights[i] : 100);
      rs->set_state(v1::REAL_SERVER_STATE_ONLINE);
    }
    return vs;
  }

  // A connect check every 50 ms that takes one result to change state.
  static void fast_connect_check(v1::VirtualService& vs) {
    auto& check = *vs.mutable_check();
    check.set_type(v1::HealthCheck::TYPE_CONNECT);
    check.set_interval_ms(50);
    check.set_timeout_ms(50);
    check.set_rise(1);
    check.set_fall(1);
  }

  void start(const v1::VirtualService& vs, std::size_t threads = 2) {
    v1::ClusterConfig config;
    config.set_generation(1);
    *config.add_virtual_services() = vs;
    start(config, threads);
  }
  void start(const v1::ClusterConfig& config, std::size_t threads = 2) {
    engine_ = std::make_unique<engine>(control_, clock_, engine_options{threads, 10000, ""});
    auto started = engine_->start(config);
    ASSERT_TRUE(started) << started.error();
    ASSERT_TRUE(engine_->ready().ready()) << engine_->ready().reason();
  }

  // Which backend answers a new connection (its greeting line).
  std::string who(const char* from = nullptr) {
    client c(port_.port(), from);
    return c.read_line();
  }

  const v1::RealServerStatus* server_status(const v1::ProxyStatus& s, const std::string& label) {
    for (const auto& vs : s.virtual_services()) {
      for (const auto& rs : vs.real_servers()) {
        if (rs.label() == label) return &rs;
      }
    }
    return nullptr;
  }

  template <typename F>
  bool eventually(F f, std::chrono::milliseconds limit = 5s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (f()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return f();
  }

  asio::io_context control_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread control_thread_;
  steady_clock clock_;
  reserved_port port_;
  std::unique_ptr<engine> engine_;
};

}  // namespace lbha::proxy::test_support
