#include "replicator/sync/daemon_main.hpp"

#include <unistd.h>

#include <iostream>
#include <thread>

#include "common/config/config.hpp"
#include "common/daemon_options.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/node_directories.hpp"
#include "common/shutdown.hpp"
#include "replicator/sync/grpc_table_port.hpp"
#include "replicator/sync/settings.hpp"
#include "replicator/sync/status_service.hpp"
#include "replicator/sync/syncd.hpp"

namespace lbha::sync {
namespace {

template <typename T>
bool report(const result<T>& loaded) {
  if (!loaded) std::cerr << loaded.error().message() << "\n";
  return loaded.has_value();
}

}  // namespace

int run_syncd(int argc, char** argv) {
  CLI::App app{"lbha-syncd: persistence-table sync (HAProxy peers protocol 2.1)"};
  daemon_options options;
  add_daemon_options(app, options);
  std::filesystem::path cluster_path;
  std::vector<std::string> peer_specs;
  std::string listen = "0.0.0.0";
  unsigned port = 0;
  std::string local_name;
  app.add_option("--cluster-config", cluster_path, "cluster.yaml (default <config_dir>/cluster.yaml)");
  app.add_option("--peer", peer_specs,
                 "extra named peer NAME=ADDRESS:PORT, e.g. a HAProxy (repeatable)");
  app.add_option("--listen", listen, "address to listen on and dial from")->capture_default_str();
  app.add_option("--port", port, "TCP port (default node.yaml ports.sync, 7778)");
  app.add_option("--local-name", local_name, "peer name (default node.yaml node_name)");
  CLI11_PARSE(app, argc, argv);
  if (!apply_log_level(options)) return 2;
  auto log = get_logger("syncd");

  // node.yaml + cluster.yaml (+ the --peer and --local-name flags) -> the
  // node's settings; read at start and again on SIGHUP.
  auto load = [&, cluster_flag = cluster_path]() -> std::optional<std::pair<node_settings, lbha::v1::NodeConfig>> {
    auto node = config::load_node_config(options.node_config);
    if (!report(node)) return std::nullopt;
    auto path = cluster_flag;
    if (path.empty()) path = std::filesystem::path(node.value().directories().config_dir()) / "cluster.yaml";
    auto cluster = config::load_cluster_config(path);
    if (!report(cluster)) return std::nullopt;
    std::vector<peer_config> extra;
    for (const auto& spec : peer_specs) {
      peer_config p;
      if (!parse_peer_spec(spec, p)) {
        std::cerr << "invalid --peer '" << spec << "': expected NAME=ADDRESS:PORT\n";
        return std::nullopt;
      }
      extra.push_back(std::move(p));
    }
    node_settings settings = settings_from(node.value(), cluster.value(), extra);
    if (!local_name.empty()) settings.local_name = local_name;
    settings.pid = std::to_string(::getpid());
    settings.seed = static_cast<std::uint32_t>(::getpid());
    for (const auto& t : settings.tables) {
      log->info("table {} ({}, {} real servers, expire {} ms)", t.name,
                t.key == key_type::ipv6 ? "ipv6" : "ip", t.servers.size(), t.expire_ms);
    }
    return std::make_pair(std::move(settings), node.value());
  };
  auto loaded = load();
  if (!loaded) return 2;
  auto& [settings, node_config] = *loaded;

  syncd_options daemon_options;
  daemon_options.listen_address = listen;
  daemon_options.port = static_cast<std::uint16_t>(port ? port : (node_config.ports().sync() ? node_config.ports().sync() : 7778));
  const std::filesystem::path run_dir = resolve_directories(options, node_config).run_dir;

  asio::io_context io;
  steady_clock clock;
  grpc_table_port table(io, unix_channel(socket_path(run_dir, "proxyd")));
  syncd daemon(io, std::move(settings), daemon_options, table, clock);
  if (!daemon.start()) return 1;

  status_service service(io, daemon);
  auto server = start_unix_server(socket_path(run_dir, "syncd"), {&service});
  if (!server) {
    log->error("cannot serve {}: {}", socket_path(run_dir, "syncd").string(),
               server.error().message());
    daemon.stop();
    return 1;
  }

  // Stopping: gRPC first, off the io thread (a GetStatus handler may be
  // waiting in run_on for the io thread), then the daemon on the io thread,
  // which closes every socket and timer so io.run() returns.
  shutdown_sequence sequence;
  std::thread stopper;
  std::unique_ptr<signal_watcher> signals;
  sequence.push("grpc, then daemon", [&] {
    stopper = std::thread([&] {
      server.value()->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
      asio::post(io, [&] {
        signals->stop();
        daemon.stop();
      });
    });
  });
  const auto started_port = daemon_options.port;
  signals = std::make_unique<signal_watcher>(io, sequence, [&] {
    log->info("SIGHUP: reloading the configuration");
    auto reloaded = load();
    if (!reloaded) {
      log->error("reload refused: the configuration is invalid; keeping the running one");
      return;
    }
    const unsigned new_port = reloaded->second.ports().sync() ? reloaded->second.ports().sync() : 7778;
    if (port == 0 && new_port != started_port) {
      log->warn("ports.sync changed to {}: the listener stays on {} until a restart", new_port,
                started_port);
    }
    if (!daemon.reconfigure(std::move(reloaded->first))) log->info("reload: nothing changed");
  });
  io.run();
  if (stopper.joinable()) stopper.join();
  log->info("stopped");
  return 0;
}

}  // namespace lbha::sync
