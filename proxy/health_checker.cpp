#include "proxy/health_checker.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "common/logging.hpp"

namespace lbha::proxy {

namespace beast = boost::beast;
namespace http = beast::http;

awaitable<std::pair<bool, std::string>> run_check(const v1::HealthCheck& check,
                                                  asio::ip::tcp::endpoint target) {
  auto executor = co_await asio::this_coro::executor;
  beast::tcp_stream stream(executor);
  stream.expires_after(std::chrono::milliseconds(check.timeout_ms() ? check.timeout_ms() : 1000));
  boost::system::error_code ec;
  co_await stream.async_connect(target, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::pair{false, "connect: " + ec.message()};
  if (check.type() != v1::HealthCheck::TYPE_HTTP) co_return std::pair{true, std::string("connect ok")};

  http::request<http::empty_body> request{http::verb::get, check.path().empty() ? "/" : check.path(),
                                          11};
  request.set(http::field::host, check.host().empty() ? target.address().to_string() : check.host());
  request.set(http::field::user_agent, "lbha-proxyd health check");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::pair{false, "http write: " + ec.message()};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return std::pair{false, "http read: " + ec.message()};
  const auto& response = parser.get();
  const unsigned status = response.result_int();
  if (status < 200 || status >= 400) {
    co_return std::pair{false, "http status " + std::to_string(status)};
  }
  if (!check.expect().empty() && response.body().find(check.expect()) == std::string::npos) {
    co_return std::pair{false, "http " + std::to_string(status) + ": expected text not found"};
  }
  co_return std::pair{true, "http " + std::to_string(status)};
}

void health_checker::watch(const std::string& service, std::shared_ptr<const pool> p) {
  forget(service);
  const auto& check = p->settings.check;
  if (check.type() == v1::HealthCheck::TYPE_NONE) return;
  auto& list = probes_[service];
  for (const auto& server : p->servers) {
    auto pr = std::make_shared<probe>(io_);
    pr->server = server;
    pr->check = check;
    pr->service = service;
    const std::uint16_t port = check.port() ? static_cast<std::uint16_t>(check.port())
                               : server->port() ? server->port()
                                                : p->settings.ports.front();
    pr->target = asio::ip::tcp::endpoint(server->ip(), port);
    list.push_back(pr);
    asio::co_spawn(io_, run(pr), asio::detached);
  }
}

void health_checker::forget(const std::string& service) {
  auto it = probes_.find(service);
  if (it == probes_.end()) return;
  for (auto& p : it->second) {
    p->stopped = true;
    p->timer.cancel();
  }
  probes_.erase(it);
}

void health_checker::stop() {
  while (!probes_.empty()) forget(probes_.begin()->first);
}

awaitable<void> health_checker::run(std::shared_ptr<probe> p) {
  auto log = get_logger("proxy.health");
  while (!p->stopped) {
    auto [passed, detail] = co_await run_check(p->check, p->target);
    if (p->stopped) break;
    if (p->server->record_check(passed, detail)) {
      log->info("{}/{} is now {} ({})", p->service, p->server->label(),
                p->server->healthy() ? "up" : "down", detail);
    }
    p->timer.expires_after(std::chrono::milliseconds(p->check.interval_ms()));
    boost::system::error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

}  // namespace lbha::proxy
