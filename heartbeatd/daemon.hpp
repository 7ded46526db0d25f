// heartbeat_daemon: the state machine wired to its parts.
//
// The state machine decides; the parts act, each behind a seam a unit test
// replaces (seams.hpp):
//   transport      UDP heartbeats, one socket per path (transport.hpp)
//   vip_installer  VIPs on the interface via rtnetlink (vip_installer.hpp)
//   announcer      GARP / unsolicited NA bursts and refresh (announcer.hpp)
//   prober         ARP / DAD probes, defence, conflict watch (prober.hpp)
//   readiness      the local proxyd's readiness (readiness.hpp)
//   notifier       notify (role) and alert hooks (notifier.hpp)
//   pinger         the ping node check (pinger.hpp)
// The daemon feeds every event into the state machine and runs the actions it
// returns. Its timers are the interval tick (send a heartbeat, tick) and one
// timer on state_machine::next_deadline(), re-armed after every event, so a
// deadtime expiry or an early probe happens on time, not at the next tick.
//
// Concurrency: everything runs on one io_context thread; the real readiness
// source polls on a worker thread and posts its results, and the gRPC service
// reaches in through run_on(). The status_board is the only state shared
// across threads: WatchStatus waits on it.
//
// Lifecycle: start() opens everything and enters init (removing leftover
// VIPs); stop() releases the VIPs, closes every socket and timer so that
// io_context::run() returns.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "heartbeatd/anti_replay.hpp"
#include "heartbeatd/announcer.hpp"
#include "heartbeatd/keyring.hpp"
#include "heartbeatd/notifier.hpp"
#include "heartbeatd/pairing.hpp"
#include "heartbeatd/pinger.hpp"
#include "heartbeatd/prober.hpp"
#include "heartbeatd/seams.hpp"
#include "heartbeatd/state_machine.hpp"
#include "heartbeatd/transport.hpp"
#include "heartbeatd/vip_installer.hpp"
#include "lbha/v1/config.pb.h"
#include "lbha/v1/ha.pb.h"

namespace lbha::heartbeat {

// Everything the daemon is configured from; built by main (and by Reload).
struct daemon_inputs {
  lbha::v1::NodeConfig node;        // defaults applied
  lbha::v1::ClusterConfig cluster;  // defaults applied
  std::filesystem::path state_dir;
  std::filesystem::path run_dir;
  std::optional<identity> id;  // unset: standalone
  keyring keys;                // empty: standalone
};

// Change notifications for WatchStatus, shared with gRPC threads.
class status_board {
 public:
  void bump();
  // Waits until the version moves past `seen` or `timeout` passes; returns the version.
  std::uint64_t wait(std::uint64_t seen, std::chrono::milliseconds timeout);
  void close();
  bool closed() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::uint64_t version_ = 0;
  bool closed_ = false;
};

class heartbeat_daemon {
 public:
  // The kernel's sockets and timers (real_seams).
  heartbeat_daemon(asio::io_context& io, const lbha::clock& clock, daemon_inputs in);
  heartbeat_daemon(asio::io_context& io, const lbha::clock& clock, daemon_inputs in,
                   daemon_seams seams);
  ~heartbeat_daemon();

  // Opens sockets and starts the role machine; the error says what failed.
  result<void> start();
  void stop();

  // io_context thread only:
  lbha::v1::HaStatus status() const;
  void make_active(bool force);
  // errc::no_live_peer when no live peer would take over.
  result<void> make_passive();
  // A planned stop of the active node: asks the live peer to take over (the
  // make-passive path) and keeps heartbeating until the peer reports itself
  // active, or `limit` passes; then `done`. At once when this node is not
  // active, is standalone, or no live peer would take over (today's stop:
  // the peer takes over one deadtime after the heartbeats end).
  void hand_over_then(std::chrono::milliseconds limit, std::function<void()> done);
  // What was applied ("reloaded: generation 4, 2 VIP(s)"); errc::restart_required when
  // the interface, heartbeat port or addresses changed.
  result<std::string> reload(daemon_inputs in);
  role current_role() const { return sm_->current_role(); }
  bool standalone() const { return keys_.empty(); }
  std::chrono::milliseconds make_active_timeout() const;

  status_board& board() { return board_; }

 private:
  settings make_settings() const;
  announce_settings make_announce_settings() const;
  probe_settings make_probe_settings() const;
  void on_datagram(std::size_t path, std::span<const std::uint8_t> datagram,
                   const asio::ip::udp::endpoint& from);
  void send_heartbeat();
  void do_tick();
  void run(const actions& acts);
  void arm_deadline();
  void on_probe_result(bool defended);
  void on_conflict();
  result<void> apply_pairing(const daemon_inputs& in);
  void publish();
  // peer_lost / peer_back alerts when the peer's liveness changes.
  void watch_peer();
  void await_peer_active(clock::time_point until, std::function<void()> done);
  std::uint64_t wall_ms() const;

  asio::io_context& io_;
  const lbha::clock& clock_;
  daemon_seams seams_;
  daemon_inputs in_;
  keyring keys_;
  identity id_;
  std::unique_ptr<state_machine> sm_;
  anti_replay replay_;
  drop_counters dropped_{};
  std::uint64_t unknown_source_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t sequence_;

  transport transport_;
  std::unique_ptr<address_table> addresses_;
  std::unique_ptr<link_socket> link_;
  std::unique_ptr<vip_installer> vips_;
  std::unique_ptr<announcer> announcer_;
  std::unique_ptr<prober> prober_;
  std::unique_ptr<readiness_source> readiness_;
  std::unique_ptr<pinger> pinger_;
  notifier notifier_;
  bool peer_alive_ = false;
  bool peer_lost_ = false;  // peer_lost sent, peer_back not yet

  clock::time_point next_tick_{};
  scheduler::timer_id deadline_timer_ = 0;
  std::optional<clock::time_point> deadline_;

  status_board board_;
  std::string last_summary_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace lbha::heartbeat
