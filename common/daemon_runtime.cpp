#include "common/daemon_runtime.hpp"

#include <algorithm>
#include <iostream>

#include "common/atomic_file.hpp"
#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/privileges.hpp"

namespace lbha {
namespace {

// The loader's checks, then the daemon's own: what start, every reload and
// --check run, so --check refuses exactly what the daemon would.
result<node_files> validated(const daemon_spec& spec, result<node_files> loaded) {
  if (!loaded || !spec.validate) return loaded;
  if (auto r = spec.validate(loaded.value()); !r) return r.error();
  return loaded;
}

}  // namespace

daemon_runtime::daemon_runtime(daemon_spec spec, daemon_options options, const lbha::clock& clock,
                               lbha::supervisor& supervisor)
    : spec_(std::move(spec)), options_(std::move(options)), clock_(clock), supervisor_(supervisor) {}

daemon_runtime::~daemon_runtime() {
  if (grpc_stopper_.joinable()) grpc_stopper_.join();
}

result<void> daemon_runtime::start() {
  auto log = get_logger(spec_.name);
  auto loaded = validated(spec_, load_node_files(options_));
  if (!loaded) return loaded.error();
  files_ = std::move(loaded.value());
  if (!apply_log_level(options_, files_.node.log_level()))
    return error(std::errc::invalid_argument, "invalid log level");
  remove_stale_temps_at_start();

  // Signals are watched before anything can see the daemon (the gRPC socket):
  // a SIGTERM sent as soon as the socket answers must not find the default
  // action. Their handlers run only inside run(), once every step is pushed.
  signals_ = std::make_unique<signal_watcher>(
      io_, sequence_,
      [this] {
        if (auto r = reload_from_files(); !r)
          get_logger(spec_.name)->error("reload refused, the running configuration stays: {}",
                                        r.error().message());
      },
      [this] { begin_stop(); });

  daemon_environment env{io_, clock_, options_, files_, *this};
  auto made = spec_.make(env);
  if (!made) return made.error();
  component_ = std::move(made.value());
  if (auto r = component_->start(); !r) {
    component_->stop();
    return r.error();
  }

  const auto socket = socket_path(files_.dirs.run_dir, spec_.name);
  auto server = start_unix_server(socket, component_->services());
  if (!server) {
    component_->stop();
    return server.error().prefixed("gRPC socket " + socket.string());
  }
  server_ = std::move(server.value());

  // LIFO: pushed first, run last. The component stops last of all, once the
  // gRPC server has drained (no handler can reach it any more).
  sequence_.push("grpc, then " + spec_.name, [this] {
    // gRPC handlers may be blocked in run_on() on work only this thread runs:
    // shut the server down from another thread while a work guard keeps
    // io_.run() going, then stop the component and drop the guard.
    guard_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    grpc_stopper_ = std::thread([this] {
      server_->shutdown(std::chrono::system_clock::now() + shutdown_deadline);
      asio::post(io_, [this] {
        component_->stop();
        guard_.reset();
      });
    });
  });
  sequence_.push("streams", [this] { component_->stop_streams(); });
  sequence_.push("signals", [this] {
    signals_->stop();
    if (watchdog_timer_) watchdog_timer_->cancel();
  });
  if (!options_.user.empty()) {
    // Everything that needs root is done: the files read, the gRPC socket
    // made in the root-owned run directory, the component's sockets bound.
    const auto keep = spec_.user_capabilities.value_or(std::vector<int>{});
    if (auto r = drop_privileges(options_.user, keep); !r) {
      server_->shutdown(std::chrono::system_clock::now());
      server_->wait();
      component_->stop();
      return r.error().prefixed("--user " + options_.user);
    }
    log->info("running as {}, keeping {} capabilities", options_.user, keep.size());
  }
  log->info("{}; control on {}", component_->summary(), socket.string());
  return success();
}

void daemon_runtime::remove_stale_temps_at_start() {
  // A crash between creating a temp and renaming it leaves the temp behind;
  // they hold no data anyone needs (the rename never happened).
  auto log = get_logger(spec_.name);
  for (const auto& dir :
       {files_.dirs.config_dir, files_.dirs.state_dir, options_.node_config.parent_path()}) {
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) continue;
    auto removed = remove_stale_temps(dir);
    if (!removed)
      log->warn("could not remove stale temp files in {}: {}", dir.string(),
                removed.error().message());
    else if (removed.value() > 0)
      log->info("removed {} stale temp file(s) in {}", removed.value(), dir.string());
  }
}

void daemon_runtime::run() {
  component_->serving();
  arm_watchdog();
  supervisor_.ready(component_->summary());
  io_.run();
  if (grpc_stopper_.joinable()) grpc_stopper_.join();
  if (server_) {
    server_->shutdown(std::chrono::system_clock::now());
    server_->wait();
  }
  get_logger(spec_.name)->info("stopped");
}

void daemon_runtime::request_stop() {
  asio::post(io_, [this] { begin_stop(); });
}

void daemon_runtime::begin_stop() {
  if (stop_begun_ || sequence_.done()) return;
  stop_begun_ = true;
  supervisor_.stopping();
  component_->prepare_stop([this] { asio::post(io_, [this] { sequence_.run(); }); });
}

void daemon_runtime::arm_watchdog() {
  const auto interval = supervisor_.watchdog_interval();
  if (interval.count() <= 0) return;
  if (!watchdog_timer_) watchdog_timer_ = std::make_unique<asio::steady_timer>(io_);
  // Half the supervisor's timeout: one late tick is not a restart. The ping
  // comes from the io thread, so a wedged io thread stops it, and only while
  // the component says its other threads are alive.
  if (component_->alive())
    supervisor_.watchdog();
  else
    get_logger(spec_.name)->error("not alive: no watchdog ping");
  watchdog_timer_->expires_after(interval / 2);
  watchdog_timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec && !sequence_.done()) arm_watchdog();
  });
}

result<void> daemon_runtime::apply(result<node_files> loaded) {
  supervisor_.reloading();
  result<void> r = success();
  if (!loaded) {
    r = loaded.error();
  } else {
    (void)apply_log_level(options_, loaded.value().node.log_level());  // validated by the loader
    r = component_->reload(loaded.value());
    if (r) files_ = std::move(loaded.value());
  }
  // A refusal says why in the unit's status (systemctl status), on one line:
  // the notify protocol is one assignment per line. The old config serves on.
  auto status = component_->summary();
  if (!r) {
    auto reason = r.error().message();
    std::replace(reason.begin(), reason.end(), '\n', ';');
    status = "reload refused, the running configuration stays: " + reason;
  }
  supervisor_.ready(status);
  return r;
}

result<void> daemon_runtime::reload_from_files() {
  get_logger(spec_.name)->info("reloading {} and {}", options_.node_config.string(),
                               files_.dirs.cluster_file().string());
  return apply(validated(spec_, load_node_files(options_)));
}

result<void> daemon_runtime::reload_with(const lbha::v1::ClusterConfig& cluster) {
  return apply(validated(spec_, load_node_files(options_, cluster)));
}

daemon_runtime::reload_function daemon_runtime::reloader() {
  return [this](const lbha::v1::ClusterConfig* cluster) {
    return run_on(io_, [this, cluster] {
      return cluster ? reload_with(*cluster) : reload_from_files();
    });
  };
}

int check_daemon_files(const daemon_spec& spec, const daemon_options& options, std::ostream& out,
                       std::ostream& err) {
  // Reads and stats only: no directory is made, no temp removed, no socket opened.
  auto loaded = validated(spec, load_node_files(options));
  if (!loaded) {
    err << "lbha-" << spec.name << " --check: " << loaded.error().message() << "\n";
    return 1;
  }
  const auto cluster = loaded.value().dirs.cluster_file();
  std::error_code ec;
  out << "lbha-" << spec.name << " --check: " << options.node_config.string() << " and "
      << cluster.string()
      << (std::filesystem::exists(cluster, ec) ? "" : " (absent: no virtual services)")
      << ": OK\n";
  return 0;
}

int run_daemon_main(daemon_spec spec, int argc, char** argv) {
  CLI::App app{spec.description};
  daemon_options options;
  add_daemon_options(app, options);
  if (spec.user_capabilities)
    app.add_option("--user", options.user,
                   "once every socket is bound, run as this user (its groups too), keeping only "
                   "the capabilities this daemon needs");
  if (spec.add_options) spec.add_options(app);
  CLI11_PARSE(app, argc, argv);
  if (!options.log_level.empty() && !apply_log_level(options)) return 2;
  if (options.check) return check_daemon_files(spec, options, std::cout, std::cerr);
  if (spec.command_selected && spec.command_selected()) {
    auto loaded = load_node_files(options);
    auto r = loaded ? spec.command(loaded.value()) : result<void>(loaded.error());
    if (!r) {
      get_logger(spec.name)->critical("{}", r.error().message());
      return 1;
    }
    return 0;
  }

  steady_clock clock;
  systemd_supervisor supervisor;
  const auto name = spec.name;
  daemon_runtime runtime(std::move(spec), options, clock, supervisor);
  if (auto r = runtime.start(); !r) {
    get_logger(name)->critical("{}", r.error().message());
    const bool bad_config = r.error() == config::errc::invalid ||
                            r.error() == config::errc::unreadable ||
                            r.error() == std::errc::invalid_argument;
    return bad_config ? 2 : 1;
  }
  runtime.run();
  return 0;
}

}  // namespace lbha
