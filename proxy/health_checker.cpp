#include "proxy/health_checker.hpp"

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "common/config/values.hpp"
#include "common/logging.hpp"
#include "proxy/external_check.hpp"

namespace lbha::proxy {

namespace beast = boost::beast;
namespace http = beast::http;

namespace {

using check_result = std::pair<bool, std::string>;

// The GET and its verdict, over a connected stream (TCP or TLS).
template <typename Stream>
awaitable<check_result> http_exchange(Stream& stream, const v1::HealthCheck& check,
                                      const asio::ip::tcp::endpoint& target, const char* scheme) {
  boost::system::error_code ec;
  http::request<http::empty_body> request{http::verb::get, check.path().empty() ? "/" : check.path(),
                                          11};
  request.set(http::field::host, check.host().empty() ? target.address().to_string() : check.host());
  request.set(http::field::user_agent, "lbha-proxyd health check");
  request.set(http::field::connection, "close");
  co_await http::async_write(stream, request, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return check_result{false, std::string(scheme) + " write: " + ec.message()};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return check_result{false, std::string(scheme) + " read: " + ec.message()};
  const auto& response = parser.get();
  const unsigned status = response.result_int();
  const auto expected = check.expect_status().empty()
                            ? config::status_range{}
                            : config::parse_status_range(check.expect_status())
                                  .value_or(config::status_range{});
  if (!expected.contains(status)) {
    co_return check_result{false, std::string(scheme) + " status " + std::to_string(status)};
  }
  if (!check.expect().empty() && response.body().find(check.expect()) == std::string::npos) {
    co_return check_result{false, std::string(scheme) + " " + std::to_string(status) +
                                      ": expected text not found"};
  }
  co_return check_result{true, std::string(scheme) + " " + std::to_string(status)};
}

// The name TLS sends (SNI) and verifies: check.host, else the address.
std::string tls_name(const v1::HealthCheck& check, const asio::ip::tcp::endpoint& target) {
  return check.host().empty() ? target.address().to_string() : check.host();
}

bool is_ip(const std::string& name) {
  boost::system::error_code ec;
  asio::ip::make_address(name, ec);
  return !ec;
}

// The service's PROXY header (LOCAL: no client) ahead of the request.
awaitable<boost::system::error_code> send_local_header(beast::tcp_stream& stream,
                                                       proxy_protocol version) {
  boost::system::error_code ec;
  const auto header = proxy_header_local(version);
  if (!header.empty()) {
    co_await asio::async_write(stream, asio::buffer(header), asio::redirect_error(use_awaitable, ec));
  }
  co_return ec;
}

}  // namespace

result<std::shared_ptr<asio::ssl::context>> make_check_tls(const v1::HealthCheck& check) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  if (!check.verify()) {
    tls->set_verify_mode(asio::ssl::verify_none);
    return tls;
  }
  tls->set_verify_mode(asio::ssl::verify_peer, ec);
  if (check.ca_file().empty()) {
    tls->set_default_verify_paths(ec);
    if (ec) return error(ec, "the system's CA certificates: " + ec.message());
  } else {
    tls->load_verify_file(check.ca_file(), ec);
    if (ec) return error(ec, "ca_file " + check.ca_file() + ": " + ec.message());
  }
  return tls;
}

awaitable<check_result> run_check(const v1::HealthCheck& check, asio::ip::tcp::endpoint target,
                                  check_context context) {
  const auto timeout = std::chrono::milliseconds(check.timeout_ms() ? check.timeout_ms() : 1000);
  if (check.type() == v1::HealthCheck::TYPE_EXTERNAL) {
    // Named, not temporaries in the co_await expression (g++ 12 mishandles those).
    const std::vector<std::string> argv(check.command().begin(), check.command().end());
    const external_check_target server{target.address().to_string(), target.port(),
                                       context.service, context.real_server};
    auto outcome = co_await run_external_check(argv, server, timeout);
    co_return outcome;
  }
  auto executor = co_await asio::this_coro::executor;
  boost::system::error_code ec;
  if (check.type() == v1::HealthCheck::TYPE_HTTPS) {
    if (!context.tls) {
      auto made = make_check_tls(check);
      if (!made) co_return check_result{false, made.error().message()};
      context.tls = made.value();
    }
    beast::ssl_stream<beast::tcp_stream> stream(executor, *context.tls);
    beast::get_lowest_layer(stream).expires_after(timeout);
    co_await beast::get_lowest_layer(stream).async_connect(target,
                                                           asio::redirect_error(use_awaitable, ec));
    if (ec) co_return check_result{false, "connect: " + ec.message()};
    ec = co_await send_local_header(beast::get_lowest_layer(stream), context.send_proxy);
    if (ec) co_return check_result{false, "proxy header: " + ec.message()};
    const auto name = tls_name(check, target);
    if (!is_ip(name)) SSL_set_tlsext_host_name(stream.native_handle(), name.c_str());
    if (check.verify()) stream.set_verify_callback(asio::ssl::host_name_verification(name));
    co_await stream.async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return check_result{false, "tls handshake: " + ec.message()};
    auto outcome = co_await http_exchange(stream, check, target, "https");
    co_return outcome;
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(timeout);
  co_await stream.async_connect(target, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return check_result{false, "connect: " + ec.message()};
  if (check.type() != v1::HealthCheck::TYPE_HTTP) co_return check_result{true, "connect ok"};
  ec = co_await send_local_header(stream, context.send_proxy);
  if (ec) co_return check_result{false, "proxy header: " + ec.message()};
  auto outcome = co_await http_exchange(stream, check, target, "http");
  co_return outcome;
}

void health_checker::watch(const std::string& service, std::shared_ptr<const pool> p) {
  forget(service);
  const auto& check = p->settings.check;
  if (check.type() == v1::HealthCheck::TYPE_NONE) return;
  // One TLS context for the service's probes: the CA file is read once per (re)load.
  check_context context{nullptr, service, "", p->settings.send_proxy};
  std::string setup_error;
  if (check.type() == v1::HealthCheck::TYPE_HTTPS) {
    auto tls = make_check_tls(check);
    if (tls) {
      context.tls = tls.value();
    } else {
      setup_error = tls.error().message();
      get_logger("proxy.health")->error("{}: https check: {}", service, setup_error);
    }
  }
  alerts_.watch(service, *p);
  auto& list = probes_[service];
  for (const auto& server : p->servers) {
    auto pr = std::make_shared<probe>(io_);
    pr->server = server;
    pr->owner = p;
    pr->check = check;
    pr->context = context;
    pr->context.real_server = server->label();
    pr->setup_error = setup_error;
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
  // Before the erase: `service` may be the erased entry's own key (stop()).
  alerts_.forget(service);
  probes_.erase(it);
}

void health_checker::stop() {
  while (!probes_.empty()) forget(probes_.begin()->first);
}

awaitable<void> health_checker::run(std::shared_ptr<probe> p) {
  auto log = get_logger("proxy.health");
  while (!p->stopped) {
    // No co_await inside a conditional expression: g++ 12 miscompiles it.
    check_result outcome{false, p->setup_error};
    if (p->setup_error.empty()) outcome = co_await run_check(p->check, p->target, p->context);
    auto& [passed, detail] = outcome;
    if (p->stopped) break;
    if (p->server->record_check(passed, detail)) {
      log->info("{}/{} is now {} ({})", p->context.service, p->server->label(),
                p->server->healthy() ? "up" : "down", detail);
      alerts_.server_changed(p->context.service, *p->owner, *p->server, detail);
    }
    p->timer.expires_after(std::chrono::milliseconds(p->check.interval_ms()));
    boost::system::error_code ec;
    co_await p->timer.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

}  // namespace lbha::proxy
