#include "replicator/pairing/replicatord.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "common/daemon_options.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/shutdown.hpp"
#include "replicator/pairing/heartbeat_watch.hpp"
#include "replicator/pairing/replication_service.hpp"

namespace lbha::pairing {

int replicatord_main(int argc, char** argv) {
  CLI::App app{"lbha-replicatord: pairing and cluster-config replication over SSH"};
  daemon_options options;
  add_daemon_options(app, options);
  int check_ms = 10000;
  int max_backoff_ms = 60000;
  app.add_option("--catch-up-interval-ms", check_ms,
                 "how often the primary checks the secondary's generation")
      ->capture_default_str();
  app.add_option("--catch-up-max-backoff-ms", max_backoff_ms,
                 "longest wait between checks while the secondary is unreachable")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  if (!apply_log_level(options)) return 2;
  auto log = get_logger("replicatord");

  auto node = load_node_context(options);
  if (!node) {
    std::cerr << "lbha-replicatord: " << node.error() << "\n";
    return 2;
  }
  asio::io_context io;
  libssh_client ssh;
  grpc_local_daemons daemons(node.value().run_dir);
  replication_ops ops(node.value(), ssh, daemons);
  replicator rep(io, ops,
                 {std::chrono::milliseconds(check_ms), std::chrono::milliseconds(max_backoff_ms)});
  replication_service service(rep);

  heartbeat_watch watch(socket_path(node.value().run_dir, "heartbeatd"),
                        {.status = [&](const lbha::v1::HaStatus& s) { rep.on_heartbeat(s); },
                         .lost = [&] { rep.on_heartbeat_lost(); }},
                        std::chrono::milliseconds(1000));

  shutdown_sequence sequence;
  rep.start();
  sequence.push("replicator", [&] { rep.stop(); });
  watch.start();
  sequence.push("heartbeat watch", [&] { watch.stop(); });
  auto path = socket_path(node.value().run_dir, "replicatord");
  auto server = start_unix_server(path, {&service});
  if (!server) {
    log->error("cannot serve {}: {}", path.string(), server.error().message());
    sequence.run();
    return 1;
  }
  sequence.push("grpc", [&] {
    server.value()->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  signal_watcher signals(io, sequence);
  sequence.push("signals", [&] { signals.stop(); });
  log->info("serving lbha.v1.Replication on {} (node {})", path.string(),
            node.value().node_name);
  io.run();
  return 0;
}

}  // namespace lbha::pairing
