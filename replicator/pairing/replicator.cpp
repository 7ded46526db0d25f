#include "replicator/pairing/replicator.hpp"

#include <algorithm>

#include "common/logging.hpp"

namespace lbha::pairing {

namespace {
std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

std::chrono::milliseconds next_check_delay(int failures, std::chrono::milliseconds base,
                                           std::chrono::milliseconds max) {
  auto delay = base;
  for (int i = 0; i < failures && delay < max; ++i) delay *= 2;
  return std::min(delay, max);
}

replicator::replicator(asio::io_context& io, replication_ops& ops, options opts)
    : io_(io), ops_(ops), opts_(opts), timer_(io) {}

replicator::~replicator() { worker_.join(); }

void replicator::start() { schedule_check(std::chrono::milliseconds(0)); }

void replicator::stop() {
  stopped_ = true;
  timer_.cancel();
  worker_.join();
}

std::future<lbha::v1::ReplicationResult> replicator::submit(
    std::function<lbha::v1::ReplicationResult()> job) {
  auto promise = std::make_shared<std::promise<lbha::v1::ReplicationResult>>();
  auto future = promise->get_future();
  asio::post(io_, [this, promise, job = std::move(job)]() mutable {
    if (stopped_) {
      lbha::v1::ReplicationResult r;
      r.set_message("replicatord is shutting down");
      promise->set_value(r);
      return;
    }
    ++pending_;
    asio::post(worker_, [this, promise, job = std::move(job)] {
      auto result = job();
      asio::post(io_, [this, result] {
        --pending_;
        note_push(result);
      });
      promise->set_value(std::move(result));
    });
  });
  return future;
}

std::future<lbha::v1::ReplicationResult> replicator::pair(std::string peer,
                                                          std::string password) {
  return submit([this, peer = std::move(peer), password = std::move(password)] {
    return ops_.pair(peer, password);
  });
}

std::future<lbha::v1::ReplicationResult> replicator::unpair(bool local_only) {
  return submit([this, local_only] { return ops_.unpair(local_only); });
}

std::future<lbha::v1::ReplicationResult> replicator::push(lbha::v1::ClusterConfig config,
                                                          bool dry_run) {
  return submit([this, config = std::move(config), dry_run]() mutable {
    return ops_.push(std::move(config), dry_run);
  });
}

void replicator::note_push(const lbha::v1::ReplicationResult& result) {
  // Only results that exchanged with the peer say anything about it.
  for (const auto& node : result.nodes()) {
    if (node.node() == ops_.node().node_name) continue;
    std::lock_guard lock(status_mutex_);
    last_push_ok_ = node.ok();
    last_push_message_ = node.message();
    last_push_unix_ms_ = unix_ms_now();
    peer_reachable_ = node.ok();
    if (node.ok()) peer_generation_ = node.generation();
  }
}

void replicator::note_check(const peer_check& check) {
  if (!check.attempted) return;
  std::lock_guard lock(status_mutex_);
  peer_reachable_ = check.reachable;
  if (check.reachable) peer_generation_ = check.peer_generation;
  if (check.push) {
    last_push_ok_ = check.push->ok();
    last_push_message_ = check.push->message();
    last_push_unix_ms_ = unix_ms_now();
  }
}

void replicator::schedule_check(std::chrono::milliseconds delay) {
  if (stopped_) return;
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    do_check();
  });
}

void replicator::do_check() {
  // A commit in flight pushes by itself; checking now could push the same generation twice.
  if (pending_ > 0) {
    schedule_check(opts_.check_interval);
    return;
  }
  ++pending_;
  asio::post(worker_, [this] {
    auto check = ops_.catch_up();
    asio::post(io_, [this, check] {
      --pending_;
      note_check(check);
      auto log = get_logger("replicatord");
      if (check.attempted && !check.in_sync) {
        ++check_failures_;
        log->warn("peer not in sync: {}", check.message);
      } else {
        if (check.push) log->info("peer caught up: {}", check.message);
        check_failures_ = 0;
      }
      schedule_check(next_check_delay(check_failures_, opts_.check_interval, opts_.max_backoff));
    });
  });
}

lbha::v1::ReplicationStatus replicator::status() {
  auto status = ops_.local_status();
  std::lock_guard lock(status_mutex_);
  status.set_last_push_ok(last_push_ok_);
  status.set_last_push_message(last_push_message_);
  status.set_last_push_unix_ms(last_push_unix_ms_);
  status.set_peer_generation(status.paired() ? peer_generation_ : 0);
  status.set_peer_reachable(status.paired() && peer_reachable_);
  return status;
}

}  // namespace lbha::pairing
