// lbha-replicatord's core: runs replication_ops on a worker thread and keeps
// a secondary that missed changes caught up.
//
// Lifecycle: start() arms the catch-up timer; stop() cancels it, refuses new
// operations and joins the worker (waiting for the SSH exchange in progress).
//
// Concurrency: operations (pair, unpair, push, catch-up) run one at a time on
// the single worker thread, in the order they were submitted; libssh blocks,
// and this keeps one writer for cluster.yaml and the pairing files. Callers
// (gRPC threads) get a future fulfilled by the worker. Results that change the
// status (last push, peer generation) are posted back to the io_context, which
// owns the timer and the status; GetStatus copies it under a mutex because the
// gRPC thread must not wait on the io_context during shutdown.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <mutex>

#include "common/asio.hpp"
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

  std::future<lbha::v1::ReplicationResult> pair(std::string peer, std::string password);
  std::future<lbha::v1::ReplicationResult> unpair(bool local_only);
  std::future<lbha::v1::ReplicationResult> push(lbha::v1::ClusterConfig config, bool dry_run);

  lbha::v1::ReplicationStatus status();

 private:
  std::future<lbha::v1::ReplicationResult> submit(
      std::function<lbha::v1::ReplicationResult()> job);
  void note_push(const lbha::v1::ReplicationResult& result);  // on io
  void note_check(const peer_check& check);                    // on io
  void schedule_check(std::chrono::milliseconds delay);
  void do_check();

  asio::io_context& io_;
  replication_ops& ops_;
  options opts_;
  asio::thread_pool worker_{1};
  asio::steady_timer timer_;
  bool stopped_ = false;
  int pending_ = 0;  // operations submitted and not finished (io thread)
  int check_failures_ = 0;

  std::mutex status_mutex_;
  bool last_push_ok_ = false;
  std::string last_push_message_;
  std::int64_t last_push_unix_ms_ = 0;
  std::uint64_t peer_generation_ = 0;
  bool peer_reachable_ = false;
};

}  // namespace lbha::pairing
