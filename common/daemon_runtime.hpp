// daemon_runtime: the one lifecycle every lbha daemon runs under.
//
// A daemon's library provides a `daemon_component` and a `daemon_spec` that
// builds it; `main()` is one call to run_daemon_main(). The runtime does the
// rest, the same way for every daemon:
//
//   check:  --check loads and validates the files it would run with (the
//           loader's checks, then the daemon's own: spec.validate), prints
//           the errors (file, line, key) or one OK line, and exits 0 or 1
//           without opening a socket or touching a file.
//   command: a flag that selects a one-shot command instead of the daemon
//           (heartbeatd's --release-vips) runs it with the loaded files.
//   start:  parse the common flags (--node-config, --state-dir, --run-dir,
//           --log-level) and the daemon's own, load node.yaml and cluster.yaml
//           (node_files), apply the log level (the flag wins over node.yaml's
//           log_level), build the component with the injected clock and
//           io_context, start it, serve its gRPC services on
//           <run-dir>/<name>.sock, drop root when --user is given (a daemon
//           that offers it; common/privileges.hpp), tell the supervisor
//           READY once run() starts the io thread.
//   reload: SIGHUP reads the files again and hands them to the component;
//           a gRPC Reload hands it the config its caller validated. Both
//           go through reload(): RELOADING, spec.validate (what --check
//           runs), the log level, component.reload(), READY. A refused reload leaves the running config in force and
//           says why in the supervisor's STATUS=.
//   stop:   SIGTERM/SIGINT or request_stop(): STOPPING, the component's
//           prepare_stop() (heartbeatd hands its VIPs over; a second signal
//           does not wait for it), then in LIFO order
//           the signal watcher, the component's streams (so gRPC handlers
//           waiting on it return), the gRPC server (shut down off the io
//           thread while the io_context keeps running, so handlers blocked
//           in run_on() finish; one deadline, shutdown_deadline), and once
//           it has drained the component itself on the io thread, after
//           which run() returns.
//
// Concurrency: the component's state belongs to the io_context thread (the
// one that calls run()); gRPC handlers reach it with run_on(io, ...).
#pragma once

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/daemon_options.hpp"
#include "common/grpc_unix.hpp"
#include "common/node_files.hpp"
#include "common/result.hpp"
#include "common/shutdown.hpp"
#include "common/supervisor.hpp"

namespace lbha {

// How long gRPC calls still running at shutdown (a WatchStatus, a syncd's
// table streams) get before they are cancelled: one deadline for every daemon.
inline constexpr std::chrono::milliseconds shutdown_deadline{500};

// A daemon as the runtime drives it. Every call is made on the io thread.
class daemon_component {
 public:
  virtual ~daemon_component() = default;

  // Opens sockets and arms timers; an error stops the process (exit 1).
  virtual result<void> start() = 0;
  // The gRPC services to serve on <run-dir>/<name>.sock (owned by the component).
  virtual std::vector<grpc::Service*> services() = 0;
  // Applies a validated configuration. A refusal leaves the old one running.
  virtual result<void> reload(const node_files& files) = 0;
  // Called once the gRPC server is up, just before the io thread starts
  // running (heartbeatd raises this thread to real-time here).
  virtual void serving() {}
  // Before any stop step (SIGTERM/SIGINT or request_stop()): work that must
  // end while the daemon still runs, such as heartbeatd handing its VIPs to
  // the peer. Calls `done` on the io thread when finished, at once by
  // default; the stop steps follow. A second signal does not wait for it.
  virtual void prepare_stop(std::function<void()> done) { done(); }
  // First stop step: wake and end whatever gRPC handlers wait on (streams).
  virtual void stop_streams() {}
  // Last stop step: close every socket and timer so io_context::run() returns.
  virtual void stop() = 0;
  // One line for the supervisor's STATUS= and the log once serving.
  virtual std::string summary() const { return "serving"; }
  // Asked at every watchdog tick (io thread): false when a thread doing the
  // daemon's real work off the io thread is wedged (proxyd's workers), so the
  // supervisor gets no WATCHDOG=1 and restarts the daemon.
  virtual bool alive() { return true; }
};

class daemon_runtime;

// What a component is built from.
struct daemon_environment {
  asio::io_context& io;
  const lbha::clock& clock;
  const daemon_options& options;
  const node_files& files;
  daemon_runtime& runtime;  // reload_from_files(), request_stop()
};

struct daemon_spec {
  std::string name;         // "proxyd": socket <run-dir>/proxyd.sock, logger "proxyd"
  std::string description;  // the first line of --help
  // Adds the daemon's own flags (bound to variables the spec's closures own).
  std::function<void(CLI::App&)> add_options;
  std::function<result<std::unique_ptr<daemon_component>>(daemon_environment&)> make;
  // The daemon's own checks of loaded files beyond the loader's (heartbeatd:
  // the pairing and heartbeat key files; syncd: its --peer flags). Reads and
  // stats only. --check runs it, and so does every reload before the
  // component sees the files, so --check refuses what a reload would.
  std::function<result<void>(const node_files&)> validate = {};
  // Set for a daemon that may run unprivileged: it gets --user NAME and, as
  // NAME, keeps these capabilities (CAP_* numbers) on its io thread.
  std::optional<std::vector<int>> user_capabilities = {};
  // A one-shot command that a flag of add_options selects instead of running
  // the daemon (heartbeatd's --release-vips): run_daemon_main loads the files,
  // runs it and exits 0, or 1 with its error on stderr.
  std::function<bool()> command_selected = {};
  std::function<result<void>(const node_files&)> command = {};
};

class daemon_runtime {
 public:
  daemon_runtime(daemon_spec spec, daemon_options options, const lbha::clock& clock,
                 lbha::supervisor& supervisor);
  ~daemon_runtime();
  daemon_runtime(const daemon_runtime&) = delete;
  daemon_runtime& operator=(const daemon_runtime&) = delete;

  // Loads the files, builds and starts the component, serves gRPC, watches
  // signals, drops root for --user. On error nothing is left running. With
  // --user, call start() and run() on one thread (the one that keeps the
  // capabilities must be the io thread).
  result<void> start();
  // Runs the io_context on this thread until the daemon has stopped.
  void run();
  // Any thread: stop as SIGTERM does.
  void request_stop();

  // What a gRPC Reload handler calls, from any thread: applies `cluster` when
  // the request carries one, else re-reads the files; on the io thread.
  using reload_function = std::function<result<void>(const lbha::v1::ClusterConfig* cluster)>;
  reload_function reloader();

  // io thread: re-read node.yaml and cluster.yaml and apply them (SIGHUP).
  result<void> reload_from_files();
  // io thread: apply `cluster` (validated again) with node.yaml re-read.
  result<void> reload_with(const lbha::v1::ClusterConfig& cluster);

  asio::io_context& io() { return io_; }
  const node_files& files() const { return files_; }
  daemon_component* component() { return component_.get(); }

 private:
  result<void> apply(result<node_files> loaded);
  void stop_sequence();
  // io thread: STOPPING, the component's prepare_stop(), then the stop steps. Once.
  void begin_stop();
  void arm_watchdog();
  void remove_stale_temps_at_start();

  daemon_spec spec_;
  daemon_options options_;
  const lbha::clock& clock_;
  lbha::supervisor& supervisor_;
  asio::io_context io_;
  node_files files_;
  std::unique_ptr<daemon_component> component_;
  std::unique_ptr<unix_server> server_;
  shutdown_sequence sequence_;
  std::unique_ptr<signal_watcher> signals_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::unique_ptr<asio::steady_timer> watchdog_timer_;
  std::thread grpc_stopper_;
  bool stop_begun_ = false;
};

// --check: loads the files `options` names and runs spec.validate on them;
// prints every error ("file:line: key: message") to `err`, or one OK line to
// `out`. 0 when valid, else 1.
int check_daemon_files(const daemon_spec& spec, const daemon_options& options, std::ostream& out,
                       std::ostream& err);

// main(): parses the command line, runs the daemon, returns the exit code
// (0 after a clean stop, 1 when it could not start, 2 for bad flags or config;
// --check and a command: 0 or 1).
int run_daemon_main(daemon_spec spec, int argc, char** argv);

}  // namespace lbha
