// heartbeat_daemon: the state machine wired to the world.
//
// Owns the UDP heartbeat sockets, the VIP addresses (rtnetlink), the ARP
// socket (announcements, probes, defence, conflict detection), the IPv6
// advertiser, the pinger, the notify hooks and a proxyd readiness poller. It
// feeds every event into the state machine and runs the actions it returns.
//
// Concurrency: everything runs on one io_context thread, except the proxyd
// readiness poller (a worker thread blocking on gRPC, posting results back)
// and the gRPC service, which reaches in through run_on(). The status_board
// is the only state shared across threads: WatchStatus waits on it.
//
// Lifecycle: start() opens everything and enters init (removing leftover
// VIPs); stop() releases the VIPs, closes every socket and timer so that
// io_context::run() returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "heartbeatd/anti_replay.hpp"
#include "heartbeatd/arp.hpp"
#include "heartbeatd/nd.hpp"
#include "heartbeatd/keyring.hpp"
#include "heartbeatd/notifier.hpp"
#include "heartbeatd/pairing.hpp"
#include "heartbeatd/pinger.hpp"
#include "heartbeatd/state_machine.hpp"
#include "heartbeatd/vip_addresses.hpp"
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
  heartbeat_daemon(asio::io_context& io, const lbha::clock& clock, daemon_inputs in);
  ~heartbeat_daemon();

  // Opens sockets and starts the role machine; the message says what failed.
  bool start(std::string& error);
  void stop();

  // io_context thread only:
  lbha::v1::HaStatus status() const;
  void make_active(bool force);
  bool make_passive(std::string& message);
  bool reload(daemon_inputs in, std::string& message);
  role current_role() const { return sm_->current_role(); }
  bool standalone() const { return keys_.empty(); }
  std::chrono::milliseconds make_active_timeout() const;

  status_board& board() { return board_; }

 private:
  settings make_settings() const;
  bool open_heartbeat_sockets(std::string& error);
  void do_receive(std::size_t socket_index);
  void handle_datagram(const std::uint8_t* data, std::size_t size,
                       const asio::ip::udp::endpoint& from);
  void send_heartbeat();
  void do_tick();
  void run(const actions& acts);
  void add_vips();
  void remove_vips();
  void announce_round();
  void start_burst(std::uint64_t generation, std::uint32_t remaining);
  void announce();
  void start_probe();
  void finish_probe(std::uint64_t probe_id);
  void on_arp(const arp_packet& p);
  void on_nd(const nd_message& m);
  bool is_vip(const asio::ip::address_v4& a) const;
  bool is_vip(const asio::ip::address_v6& a) const;
  bool open_nd(std::string& error);
  bool apply_pairing(const daemon_inputs& in, std::string& message);
  void close_heartbeat_sockets();
  void start_proxy_poller();
  void publish();
  std::uint64_t wall_ms() const;

  asio::io_context& io_;
  const lbha::clock& clock_;
  daemon_inputs in_;
  keyring keys_;
  identity id_;
  std::vector<ip_address> vips_;
  std::vector<asio::ip::udp::endpoint> peers_;
  std::unique_ptr<state_machine> sm_;
  anti_replay replay_;
  drop_counters dropped_{};
  std::uint64_t unknown_source_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t sequence_;

  std::vector<std::unique_ptr<asio::ip::udp::socket>> sockets_;
  std::vector<std::array<std::uint8_t, 2048>> buffers_;
  std::vector<asio::ip::udp::endpoint> senders_;
  asio::steady_timer tick_timer_;
  asio::steady_timer dead_timer_;
  asio::steady_timer probe_timer_;
  clock::time_point next_tick_{};

  std::unique_ptr<vip_addresses> addresses_;
  std::unique_ptr<arp_socket> arp_;
  std::unique_ptr<nd_socket> nd_;
  std::unique_ptr<pinger> pinger_;
  notifier notifier_;
  bool vips_held_ = false;
  std::uint64_t burst_generation_ = 0;
  clock::time_point next_refresh_{};

  bool probing_ = false;
  bool probe_defended_ = false;
  std::uint64_t probe_id_ = 0;
  nd_nonce probe_nonce_{};  // of the IPv6 probe in flight; a defence echoes it

  std::thread proxy_poller_;
  std::atomic<bool> stopping_{false};
  std::mutex poller_mutex_;
  std::condition_variable poller_cv_;

  status_board board_;
  std::string last_summary_;
  bool stopped_ = false;
};

}  // namespace lbha::heartbeat
