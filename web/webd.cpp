#include "web/webd.hpp"

#include <memory>
#include <optional>

#include "common/config/values.hpp"
#include "common/logging.hpp"
#include "snmp/netsnmp_agent.hpp"
#include "snmp/status_feed.hpp"
#include "web/certificate_files.hpp"
#include "web/cli_operations.hpp"
#include "web/http_session.hpp"
#include "web/listener.hpp"
#include "web/metrics.hpp"
#include "web/metrics_endpoint.hpp"
#include "web/metrics_source.hpp"
#include "web/off_thread.hpp"
#include "web/pam_authenticator.hpp"
#include "web/tls_context.hpp"
#include "web/web_app.hpp"
#include "web/web_service.hpp"

namespace lbha::web {

namespace {

// PAM (seconds on a failure) and commits (an SSH push) block a worker each;
// four let a slow commit and a few log-ins proceed side by side.
constexpr std::size_t worker_threads = 4;

// How often the SNMP subagent's values are refreshed (and traps looked for):
// a read of the node costs the four daemons one GetStatus each.
constexpr std::chrono::seconds poll_interval{2};

result<asio::ip::tcp::endpoint> endpoint_of(const std::string& text) {
  const auto parsed = config::parse_listen_address(text);
  if (!parsed.value) return error(std::errc::invalid_argument, parsed.error);
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(parsed.value->address, ec);
  if (ec) return error(std::errc::invalid_argument, "bad address in '" + text + "'");
  return asio::ip::tcp::endpoint(address, static_cast<std::uint16_t>(parsed.value->port));
}

cli::cli_context paths_of(const daemon_environment& env) {
  cli::cli_context paths;
  paths.run_dir = env.files.dirs.run_dir;
  paths.config_dir = env.files.dirs.config_dir;
  paths.state_dir = env.files.dirs.state_dir;
  paths.node_config = env.options.node_config;
  return paths;
}

class webd_component final : public daemon_component {
 public:
  explicit webd_component(daemon_environment& env)
      : io_(env.io),
        web_(env.files.node.web()),
        paths_(paths_of(env)),
        identity_{
            local_hostname(),
            {env.files.node.local_addresses().begin(), env.files.node.local_addresses().end()}},
        node_(paths_),
        app_(env.clock, auth_, node_, workers_,
             web_app_settings{.node_name = env.files.node.node_name(),
                              .session_idle = std::chrono::milliseconds(web_.session_idle_ms()),
                              .login = {}}),
        metrics_(env.io, workers_, [this] { return render_metrics(node_.read_node()); }),
        service_(
            env.io, [this] { return status(); }, env.runtime.reloader()) {}

  result<void> start() override {
    auto log = get_logger("webd");
    auto made = ensure_certificate(web_.certificate(), web_.key(), identity_);
    if (!made) return made.error();
    if (made.value())
      log->info(
          "made a self-signed certificate for {}: {} (key {}); replace both with your own "
          "and restart to use them",
          identity_.hostname, web_.certificate(), web_.key());
    auto tls = make_server_tls(web_.certificate(), web_.key());
    if (!tls) return tls.error();
    tls_ = std::move(tls.value());

    auto https = endpoint_of(web_.https_listen());
    if (!https) return https.error();
    https_ = std::make_unique<listener>(
        io_, https.value(), limits_.max_connections, [this](asio::ip::tcp::socket socket) {
          return serve_https(std::move(socket), tls_, handler_, limits_);
        });
    if (auto r = https_->open(); !r) return r.error();
    if (web_.http_redirect()) {
      auto http = endpoint_of(web_.http_listen());
      if (!http) return http.error();
      redirect_ = std::make_unique<listener>(
          io_, http.value(), limits_.max_connections, [this](asio::ip::tcp::socket socket) {
            return serve_redirect(std::move(socket), https_->port(), limits_);
          });
      if (auto r = redirect_->open(); !r) return r.error();
    }
    auto metrics = endpoint_of(web_.metrics_listen());
    if (!metrics) return metrics.error();
    metrics_listener_ = std::make_unique<listener>(
        io_, metrics.value(), limits_.max_connections, [this](asio::ip::tcp::socket socket) {
          return serve_http(std::move(socket), metrics_handler_, limits_);
        });
    if (auto r = metrics_listener_->open(); !r) return r.error();
    handler_ = app_.handler();
    metrics_handler_ = metrics_.handler();
    https_->start();
    if (redirect_) redirect_->start();
    metrics_listener_->start();
    if (auto r = start_snmp(); !r) return r;
    asio::co_spawn(io_, poll_node(), asio::detached);
    return success();
  }

  std::vector<grpc::Service*> services() override { return {&service_}; }

  result<void> reload(const node_files& files) override {
    const auto& web = files.node.web();
    if (web.https_listen() != web_.https_listen() || web.http_redirect() != web_.http_redirect() ||
        web.http_listen() != web_.http_listen() || web.metrics_listen() != web_.metrics_listen() ||
        web.certificate() != web_.certificate() || web.key() != web_.key() ||
        web.snmp_agentx() != web_.snmp_agentx()) {
      get_logger("webd")->warn(
          "web listen addresses, certificate or snmp_agentx changed: they apply at the next "
          "restart");
    }
    app_.configure(files.node.node_name(), std::chrono::milliseconds(web.session_idle_ms()));
    return success();
  }

  void stop() override {
    polling_stopped_ = true;
    poll_timer_.cancel();
    if (snmp_agent_) snmp_agent_->stop();
    if (metrics_listener_) metrics_listener_->stop();
    if (redirect_) redirect_->stop();
    if (https_) https_->stop();
  }

  v1::WebStatus status() const {
    v1::WebStatus out;
    out.set_https_listen(web_.https_listen());
    out.set_https_port(https_ ? https_->port() : 0);
    if (redirect_) out.set_http_listen(web_.http_listen());
    out.set_sessions(static_cast<std::uint32_t>(app_.sessions()));
    const auto& c = app_.counters();
    out.set_logins(c.logins);
    out.set_login_failures(c.login_failures);
    out.set_logins_rate_limited(c.logins_rate_limited);
    out.set_changes(c.changes);
    out.set_refused_posts(c.refused_posts);
    out.set_metrics_listen(web_.metrics_listen());
    out.set_metrics_port(metrics_listener_ ? metrics_listener_->port() : 0);
    out.set_scrapes(metrics_.scrapes());
    out.set_scrapes_shared(metrics_.scrapes_shared());
    out.set_snmp_agentx(web_.snmp_agentx());
    if (snmp_agent_) {
      const auto counters = snmp_agent_->counters();
      out.set_snmp_connected(counters.connected);
      out.set_snmp_traps_sent(counters.traps_sent);
      out.set_snmp_traps_dropped(counters.traps_dropped);
    }
    if (snmp_feed_) out.set_snmp_snapshots(snmp_feed_->snapshots());
    return out;
  }

  std::string summary() const override {
    std::string out = "WebUI on https://" + web_.https_listen() + "/lbadmin/";
    if (https_) out += " (port " + std::to_string(https_->port()) + ")";
    if (redirect_) out += ", redirect from http://" + web_.http_listen();
    out += ", metrics on http://" + web_.metrics_listen() + "/metrics";
    if (snmp_agent_) out += ", SNMP AgentX subagent of " + web_.snmp_agentx();
    return out;
  }

 private:
  // SNMP when web.snmp_agentx names a master: the subagent's thread, fed by
  // poll_node with the traps of what changed (snmp/README.md).
  result<void> start_snmp() {
    if (web_.snmp_agentx().empty()) return success();
    snmp_agent_ = std::make_unique<snmp::netsnmp_agent>(web_.snmp_agentx());
    if (auto r = snmp_agent_->start(); !r) return r.error().prefixed("web.snmp_agentx");
    snmp_feed_ = std::make_unique<snmp::status_feed>(*snmp_agent_);
    return success();
  }

  // A read of the node every poll_interval on the worker pool: the
  // overview's connection graphs keep it, and the SNMP subagent, when on,
  // publishes it and sends the traps of what changed.
  awaitable<void> poll_node() {
    while (!polling_stopped_) {
      auto read = co_await off_thread(workers_, [this] { return node_.read_node(); });
      if (polling_stopped_) break;
      if (read.overview.proxy) app_.record(*read.overview.proxy);
      if (snmp_feed_) snmp_feed_->on_read(read);
      poll_timer_.expires_after(poll_interval);
      boost::system::error_code ec;
      co_await poll_timer_.async_wait(redirect_error(use_awaitable, ec));
    }
  }

  asio::io_context& io_;
  v1::WebSettings web_;  // as started: listeners and files change at a restart
  cli::cli_context paths_;
  certificate_identity identity_;
  http_limits limits_;
  pam_authenticator auth_;
  cli_operations node_;
  asio::thread_pool workers_{worker_threads};
  web_app app_;
  metrics_endpoint metrics_;
  request_handler handler_;
  request_handler metrics_handler_;
  std::shared_ptr<asio::ssl::context> tls_;
  std::unique_ptr<listener> https_;
  std::unique_ptr<listener> redirect_;
  std::unique_ptr<listener> metrics_listener_;
  std::unique_ptr<snmp::netsnmp_agent> snmp_agent_;
  std::unique_ptr<snmp::status_feed> snmp_feed_;  // feeds snmp_agent_
  asio::steady_timer poll_timer_{io_};
  bool polling_stopped_ = false;  // io thread only
  web_service service_;
};

}  // namespace

daemon_spec webd_spec() {
  return {
      .name = "webd",
      .description =
          "lbha-webd: the WebUI on HTTPS (System Overview, log-in through PAM) and Prometheus "
          "/metrics on plain HTTP",
      .add_options = {},
      .make = [](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        return std::make_unique<webd_component>(env);
      },
      .validate = {},
      // --user: the listeners are bound and the key read as root; after that
      // nothing needs a capability. PAM's pam_unix then needs the user in
      // group shadow (packaging/systemd/lbha-webd.service.in says why).
      .user_capabilities = std::vector<int>{},
      .command_selected = {},
      .command = {},
  };
}

}  // namespace lbha::web
