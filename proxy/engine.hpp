// The data plane: virtual services, their listeners on every worker thread,
// health checks and the persistence table, driven by a ClusterConfig.
//
// Lifecycle: construct, start(config) (binds listeners, starts the worker
// threads and health checks), then any number of reload(config),
// set_real_server_state() and status() calls, then stop() (closes listeners
// and connections, joins the workers). Destruction stops.
//
// Concurrency: the public methods may be called from any thread (gRPC
// handlers, the daemon's main thread, tests); they serialise on one mutex.
// The data path never takes it: workers read pools through atomic pointers
// and update atomic counters (see service_state.hpp). Listener changes are
// opened (socket, bind, listen) on the calling thread, which under --user is
// the only one that keeps CAP_NET_BIND_SERVICE, then installed on each
// worker's own thread and waited for; health checker changes are
// posted to the control io_context, which the caller runs (the daemon's main
// loop), as is the periodic sweep of expired stick entries.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "lbha/v1/config.pb.h"
#include "lbha/v1/proxy.pb.h"
#include "proxy/errc.hpp"
#include "proxy/fd_store.hpp"
#include "proxy/handover.hpp"
#include "proxy/health_checker.hpp"
#include "proxy/service_state.hpp"
#include "proxy/stick_table.hpp"
#include "proxy/worker.hpp"

namespace lbha::proxy {

struct engine_options {
  std::size_t threads = 1;
  std::size_t stick_table_size = 1'000'000;
  std::string source_address;  // "" = the kernel chooses
  worker_scheduling scheduling = worker_scheduling::batch;
  // Kept permitted (not effective) by each worker thread (data_plane_context).
  std::vector<int> worker_capabilities = {};
};

class engine {
 public:
  engine(asio::io_context& control, const lbha::clock& clock, engine_options options);
  ~engine();

  // Applies `config` and starts the workers; an error message when the
  // config is unusable (nothing started then). With `from` (what the
  // previous proxyd handed over, proxy/handover.hpp) its listening sockets
  // are used instead of new ones, its sessions resume on the same real
  // servers and its persistence entries are restored; sessions whose service
  // or real server the config no longer has are closed and counted.
  result<void> start(const v1::ClusterConfig& config,
                     std::optional<received_handover> from = std::nullopt);

  struct handover_counts {
    std::size_t listeners = 0;
    std::size_t sessions = 0;
    std::size_t stick_entries = 0;
    std::size_t lost = 0;  // sessions that could not be handed over or resumed
  };
  // Stops accepting, hands the listeners, every open session and the
  // persistence table to `store` for the next proxyd, then stops. After an
  // error the engine is stopped all the same (connections closed).
  result<handover_counts> hand_over(fd_store& store);
  // What start() took over (zero without a handover).
  handover_counts taken_over() const;

  // Applies a new config. A config that does not validate is refused and the
  // old one stays in force. Services and real servers that are kept keep
  // their connections, counters, health and run-time state.
  result<void> reload(const v1::ClusterConfig& config);

  result<void> set_real_server_state(const std::string& service, const std::string& real_server,
                                     v1::RealServerState state);

  v1::ProxyStatus status() const;
  v1::ReadyReply ready() const;
  stick_table& table() { return *table_; }
  const lbha::clock& table_clock() const { return clock_; }
  // Alert events of the health checks (real server down/up, service down,
  // fallback in use), called on the control thread. Set before start().
  void set_alert_sink(health_alerts::sink sink) { checker_->set_alert_sink(std::move(sink)); }

  // For the daemon's watchdog, from the control thread: false while a worker
  // has not run the beat the previous call posted to it (a wedged data-plane
  // thread); true before start and after stop.
  bool alive();

  // Once the daemon has dropped to --user (daemon.cpp's serving()): every
  // worker keeps only options.worker_capabilities, permitted and not
  // effective. Nothing to do (success) without worker_capabilities.
  result<void> narrow_worker_capabilities();

  // Whether `service` exists and has a real server called `real_server`.
  bool knows(const std::string& service, const std::string& real_server) const;

  void stop();

 private:
  struct service_entry {
    std::shared_ptr<virtual_service_state> state;
    v1::VirtualService config;
  };

  result<void> apply(const v1::ClusterConfig& config);
  using listener_map = std::map<asio::ip::tcp::endpoint, std::shared_ptr<virtual_service_state>>;
  std::vector<std::shared_ptr<listener>> open_listeners(worker& w, const listener_map& wanted,
                                                        std::vector<std::string>& errors);
  static void sync_listeners(worker& w, const listener_map& wanted,
                             std::vector<std::shared_ptr<listener>> opened);
  void schedule_sweep();
  void resume_sessions(received_handover& from);

  asio::io_context& control_;
  const lbha::clock& clock_;
  engine_options options_;
  std::shared_ptr<stick_table> table_;
  std::optional<asio::ip::address> source_address_;
  std::vector<std::unique_ptr<worker>> workers_;
  std::shared_ptr<health_checker> checker_;
  std::shared_ptr<asio::steady_timer> sweep_timer_;
  std::shared_ptr<bool> sweep_stopped_ = std::make_shared<bool>(false);  // control thread only

  mutable std::mutex mutex_;
  std::map<std::string, service_entry> services_;
  std::uint64_t generation_ = 0;
  std::vector<std::string> listen_errors_;
  received_handover* inherited_ = nullptr;  // during start() only
  handover_counts taken_over_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace lbha::proxy
