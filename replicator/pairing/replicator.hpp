// lbha-replicatord's core: runs replication_ops on a worker thread and keeps
// a secondary that missed changes caught up.
//
// Lifecycle: start() arms the catch-up timer; stop() cancels it, refuses new
// operations and joins the worker (waiting for the SSH exchange in progress).
//
// Catch-up: while the local heartbeatd streams its status (heartbeat_watch),
// a status whose peer_config_generation differs from config_generation
// triggers a check at once (older: push to it; newer: the peer may have taken
// over, or this node follows it by fetching; replication_ops::catch_up
// decides); the SSH poll every `check_interval` (with backoff) runs only
// while heartbeatd is not streaming, and at `max_backoff` while heartbeatd
// streams but does not hear the peer (its heartbeatd may be
// the one that is down).
//
// Concurrency: operations (pair, unpair, push, catch-up) run one at a time on
// the single worker thread, in the order they were submitted; libssh blocks,
// and this keeps one writer for cluster.yaml and the pairing files. Callers
// (gRPC threads) get a future fulfilled by the worker. Results that change the
// status (last push, peer generation) are posted back to the io_context, which
// owns the timer and the status; GetStatus copies it under a mutex because the
// gRPC thread must not wait on the io_context during shutdown.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>

#include "common/asio.hpp"
#include "common/event_hooks.hpp"
#include "lbha/v1/ha.pb.h"
#include "lbha/v1/replication.pb.h"
#include "replicator/pairing/replication_ops.hpp"

namespace lbha::pairing {

// Delay before the next catch-up check after `failures` failed ones in a row:
// `base`, doubling per failure, capped at `max`.
std::chrono::milliseconds next_check_delay(int failures, std::chrono::milliseconds base,
                                           std::chrono::milliseconds max);

class replicator {
 public:
  struct options {
    std::chrono::milliseconds check_interval{10000};
    std::chrono::milliseconds max_backoff{60000};
  };

  replicator(asio::io_context& io, replication_ops& ops, options opts);
  ~replicator();

  void start();
  void stop();

  std::future<lbha::v1::ReplicationResult> pair(lbha::v1::PairRequest request);
  // The peer sshd's host key, read on the worker (it blocks on the network).
  std::future<lbha::v1::PeerHostKey> peer_host_key(std::string address);
  std::future<lbha::v1::ReplicationResult> unpair(bool local_only);
  std::future<lbha::v1::ReplicationResult> push(lbha::v1::ClusterConfig config, bool dry_run,
                                                std::string origin = "commit",
                                                std::string summary = "");
  std::future<lbha::v1::ReplicationResult> rollback(std::uint64_t generation, bool dry_run);
  // Refused while heartbeatd hears the peer or its sshd answers, unless `force`.
  std::future<lbha::v1::ReplicationResult> take_over(bool force);

  // <state-dir>/history, read on the caller's thread (files written atomically).
  lbha::v1::HistoryReply history() const;
  lbha::v1::GenerationReply generation(std::uint64_t generation) const;

  lbha::v1::ReplicationStatus status();

  // Where push_failed alerts go (a commit's or a catch-up's push the peer did
  // not take); called on the io thread. Set before start().
  void set_alert_sink(std::function<void(alert_event)> sink) { alert_sink_ = std::move(sink); }
  // status()'s alert_hooks (called from gRPC's threads: must be thread-safe).
  void set_alert_counters(std::function<hook_counters()> read) { alert_counters_ = std::move(read); }

  // From heartbeat_watch's thread: a status of the local heartbeatd, and the
  // end of its stream.
  void on_heartbeat(lbha::v1::HaStatus status);
  void on_heartbeat_lost();

 private:
  enum class trigger { poll, heartbeat };

  // `alert`: a failure is a push_failed alert (a commit's push, not a dry
  // run, a pairing or an unpairing).
  std::future<lbha::v1::ReplicationResult> submit(
      std::function<lbha::v1::ReplicationResult()> job, bool alert = false);
  void note_push(const lbha::v1::ReplicationResult& result, bool alert);  // on io
  void push_failed(const lbha::v1::NodeResult& node, std::uint64_t generation,
                   const char* by);  // on io
  void note_check(const peer_check& check);                    // on io
  void schedule_check(std::chrono::milliseconds delay);
  void do_check(trigger why);
  void heartbeat_status(const lbha::v1::HaStatus& status);  // on io

  asio::io_context& io_;
  replication_ops& ops_;
  std::function<void(alert_event)> alert_sink_;
  std::function<hook_counters()> alert_counters_;
  options opts_;
  asio::thread_pool worker_{1};
  asio::steady_timer timer_;
  bool stopped_ = false;
  int pending_ = 0;  // operations submitted and not finished (io thread)
  int check_failures_ = 0;
  bool heartbeat_live_ = false;  // io thread; mirrored in status for GetStatus
  bool heartbeat_hears_peer_ = false;
  std::atomic<bool> peer_heard_{false};  // heartbeat_hears_peer_ for the worker (take-over)
  // Last exchange with the peer over SSH, to skip heartbeats that still carry
  // the generation from before a push that already went through.
  std::chrono::steady_clock::time_point last_exchange_{};
  std::uint64_t exchanged_generation_ = 0;
  std::chrono::steady_clock::time_point next_heartbeat_check_{};

  std::mutex status_mutex_;
  bool last_push_ok_ = false;
  std::string last_push_message_;
  std::int64_t last_push_unix_ms_ = 0;
  std::uint64_t peer_generation_ = 0;
  bool peer_reachable_ = false;
  bool heartbeat_watch_ = false;
  std::string last_catch_up_;
  std::int64_t last_catch_up_unix_ms_ = 0;
};

}  // namespace lbha::pairing
