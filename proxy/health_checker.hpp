// Active health checks of real servers: TCP connect; an HTTP GET, in clear or
// over TLS (https, with SNI and optional certificate verification), whose
// status must be in expect_status (default 200-399) and whose body must
// contain `expect` (Beast); or an external program (proxy/external_check.hpp).
// A service with send_proxy gets a LOCAL PROXY header at the start of each
// http(s) check (before TLS), so servers that require the header pass.
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

#include "common/asio_ssl.hpp"
#include "common/result.hpp"
#include "proxy/health_alerts.hpp"
#include "proxy/service_state.hpp"

namespace lbha::proxy {

// What a check needs beyond its settings and target.
struct check_context {
  // https: the TLS settings (verification, CA); null = built for this one check.
  std::shared_ptr<asio::ssl::context> tls;
  std::string service;      // labels, for external checks' environment
  std::string real_server;
  // The service sends the PROXY protocol: http(s) checks open with its LOCAL
  // header, as a server that requires the header needs.
  proxy_protocol send_proxy = proxy_protocol::none;
};

// The TLS client context of an https check: no verification unless
// check.verify, then the peer's chain against ca_file (or the system's CAs).
// An unreadable CA file is an error naming it.
result<std::shared_ptr<asio::ssl::context>> make_check_tls(const v1::HealthCheck& check);

class health_checker {
 public:
  explicit health_checker(asio::io_context& io) : io_(io) {}
  ~health_checker() { stop(); }

  void watch(const std::string& service, std::shared_ptr<const pool> p);
  void forget(const std::string& service);
  void stop();
  // Where the alert events of the checks go (health_alerts.hpp); none by default.
  void set_alert_sink(health_alerts::sink sink) { alerts_.set_sink(std::move(sink)); }

 private:
  struct probe {
    explicit probe(asio::io_context& io) : timer(io) {}
    asio::steady_timer timer;
    bool stopped = false;
    std::shared_ptr<real_server_state> server;
    std::shared_ptr<const pool> owner;  // the pool watched, for the service's alerts
    v1::HealthCheck check;
    asio::ip::tcp::endpoint target;
    check_context context;
    std::string setup_error;  // the TLS context could not be made: every check fails with it
  };

  awaitable<void> run(std::shared_ptr<probe> p);

  asio::io_context& io_;
  std::map<std::string, std::vector<std::shared_ptr<probe>>> probes_;
  health_alerts alerts_;
};

// One check of `target` as `check` says; {passed, detail}.
awaitable<std::pair<bool, std::string>> run_check(const v1::HealthCheck& check,
                                                  asio::ip::tcp::endpoint target,
                                                  check_context context = {});

}  // namespace lbha::proxy
