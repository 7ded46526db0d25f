// lbha-heartbeatd: the HA role daemon. Everything lives in lbha_heartbeat.
#include <iostream>
#include <thread>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/shutdown.hpp"
#include "heartbeatd/ha_service.hpp"
#include "heartbeatd/inputs.hpp"
#include "heartbeatd/realtime.hpp"

int main(int argc, char** argv) {
  using namespace lbha;
  CLI::App app{"lbha-heartbeatd: heartbeat on UDP 6694, failover and VIP ownership"};
  heartbeat::heartbeatd_options options;
  heartbeat::add_heartbeatd_options(app, options);
  CLI11_PARSE(app, argc, argv);
  if (!apply_log_level(options.daemon)) return 2;
  auto log = get_logger("heartbeatd");

  heartbeat::daemon_inputs inputs;
  std::string error;
  if (!heartbeat::load_inputs(options, inputs, error)) {
    log->critical("{}", error);
    return 1;
  }
  asio::io_context io;
  steady_clock clock;
  const auto run_dir = inputs.run_dir;
  heartbeat::heartbeat_daemon daemon(io, clock, std::move(inputs));
  if (!daemon.start(error)) {
    log->critical("{}", error);
    return 1;
  }
  heartbeat::ha_service service(io, daemon,
                                [&options](heartbeat::daemon_inputs& in, std::string& message) {
                                  return heartbeat::load_inputs(options, in, message);
                                });
  auto server = start_unix_server(socket_path(run_dir, "heartbeatd"), {&service});
  if (!server) {
    log->critical("gRPC socket {}: {}", socket_path(run_dir, "heartbeatd").string(),
                  server.error().message());
    return 1;
  }
  shutdown_sequence sequence;
  // gRPC handlers reach the daemon through run_on(io): the io_context must keep running
  // until the server has drained them, so the server is shut down on its own thread while a
  // work guard holds io.run() open, and the guard is dropped when the server is done.
  auto guard = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
      io.get_executor());
  std::thread grpc_stopper;
  sequence.push("heartbeat", [&] { daemon.stop(); });
  sequence.push("grpc", [&] {
    daemon.board().close();  // wakes WatchStatus and MakeActive waiters
    grpc_stopper = std::thread([&] {
      server.value()->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
      asio::post(io, [&] { guard.reset(); });
    });
  });
  signal_watcher signals(io, sequence, [&] {
    heartbeat::daemon_inputs in;
    std::string message;
    if (!heartbeat::load_inputs(options, in, message) || !daemon.reload(std::move(in), message))
      log->error("reload failed: {}", message);
  });
  sequence.push("signals", [&] { signals.stop(); });
  // After the gRPC and poller threads exist: only this thread runs real-time.
  if (auto ec = heartbeat::make_this_thread_realtime(options.realtime_priority)) {
    log->warn("cannot run the heartbeat thread real-time (SCHED_RR {}): {}; continuing at "
              "normal priority", options.realtime_priority, ec.message());
  }
  io.run();
  if (grpc_stopper.joinable()) grpc_stopper.join();
  server.value()->Wait();
  return 0;
}
