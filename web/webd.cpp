#include "web/webd.hpp"

#include <memory>
#include <optional>

#include "common/config/values.hpp"
#include "common/logging.hpp"
#include "web/certificate_files.hpp"
#include "web/cli_operations.hpp"
#include "web/http_session.hpp"
#include "web/listener.hpp"
#include "web/metrics.hpp"
#include "web/metrics_endpoint.hpp"
#include "web/metrics_source.hpp"
#include "web/pam_authenticator.hpp"
#include "web/tls_context.hpp"
#include "web/web_app.hpp"
#include "web/web_service.hpp"

namespace lbha::web {

namespace {

// PAM (seconds on a failure) and commits (an SSH push) block a worker each;
// four let a slow commit and a few log-ins proceed side by side.
constexpr std::size_t worker_threads = 4;

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
        identity_{
            local_hostname(),
            {env.files.node.local_addresses().begin(), env.files.node.local_addresses().end()}},
        node_(paths_of(env)),
        app_(env.clock, auth_, node_, workers_,
             web_app_settings{.node_name = env.files.node.node_name(),
                              .session_idle = std::chrono::milliseconds(web_.session_idle_ms()),
                              .login = {}}),
        metrics_(env.io, workers_,
                 [paths = paths_of(env)] { return render_metrics(read_node(paths)); }),
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
    return success();
  }

  std::vector<grpc::Service*> services() override { return {&service_}; }

  result<void> reload(const node_files& files) override {
    const auto& web = files.node.web();
    if (web.https_listen() != web_.https_listen() || web.http_redirect() != web_.http_redirect() ||
        web.http_listen() != web_.http_listen() || web.metrics_listen() != web_.metrics_listen() ||
        web.certificate() != web_.certificate() || web.key() != web_.key()) {
      get_logger("webd")->warn(
          "web listen addresses or certificate changed: they apply at the next restart");
    }
    app_.configure(files.node.node_name(), std::chrono::milliseconds(web.session_idle_ms()));
    return success();
  }

  void stop() override {
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
    return out;
  }

  std::string summary() const override {
    std::string out = "WebUI on https://" + web_.https_listen() + "/lbadmin/";
    if (https_) out += " (port " + std::to_string(https_->port()) + ")";
    if (redirect_) out += ", redirect from http://" + web_.http_listen();
    out += ", metrics on http://" + web_.metrics_listen() + "/metrics";
    return out;
  }

 private:
  asio::io_context& io_;
  v1::WebSettings web_;  // as started: listeners and files change at a restart
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
