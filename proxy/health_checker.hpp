// Active health checks of real servers: TCP connect, or an HTTP GET whose
// response must have a 2xx/3xx status and contain the expected text (Beast).
// Results feed each server's rise/fall state (real_server_state::record_check).
//
// Lifecycle and concurrency: lives on the daemon's control io_context and is
// used only from that thread. watch() starts one probe coroutine per real
// server of a pool, replacing any earlier probes of that service; forget()
// and stop() flag the probes and cancel their timers, so each coroutine ends
// at its next step (an in-flight check ends within its timeout).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "proxy/service_state.hpp"

namespace lbha::proxy {

class health_checker {
 public:
  explicit health_checker(asio::io_context& io) : io_(io) {}
  ~health_checker() { stop(); }

  void watch(const std::string& service, std::shared_ptr<const pool> p);
  void forget(const std::string& service);
  void stop();

 private:
  struct probe {
    explicit probe(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    bool stopped = false;
    std::shared_ptr<real_server_state> server;
    v1::HealthCheck check;
    asio::ip::tcp::endpoint target;
    std::string service;
  };

  awaitable<void> run(std::shared_ptr<probe> p);

  asio::io_context& io_;
  std::map<std::string, std::vector<std::shared_ptr<probe>>> probes_;
};

// One check of `target` as `check` says; {passed, detail}.
awaitable<std::pair<bool, std::string>> run_check(const v1::HealthCheck& check,
                                                  asio::ip::tcp::endpoint target);

}  // namespace lbha::proxy
