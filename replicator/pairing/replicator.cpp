#include "replicator/pairing/replicator.hpp"

#include <algorithm>

#include "common/logging.hpp"
#include "replicator/pairing/config_commit.hpp"
#include "replicator/pairing/config_history.hpp"

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
    std::function<lbha::v1::ReplicationResult()> job, bool alert) {
  auto promise = std::make_shared<std::promise<lbha::v1::ReplicationResult>>();
  auto future = promise->get_future();
  asio::post(io_, [this, promise, job = std::move(job), alert]() mutable {
    if (stopped_) {
      lbha::v1::ReplicationResult r;
      r.set_message("replicatord is shutting down");
      promise->set_value(r);
      return;
    }
    ++pending_;
    asio::post(worker_, [this, promise, job = std::move(job), alert] {
      auto result = job();
      asio::post(io_, [this, result, alert] {
        --pending_;
        note_push(result, alert);
      });
      promise->set_value(std::move(result));
    });
  });
  return future;
}

std::future<lbha::v1::ReplicationResult> replicator::pair(lbha::v1::PairRequest request) {
  return submit([this, request = std::move(request)]() mutable {
    auto result = ops_.pair(request);
    request.mutable_password()->assign(request.password().size(), '\0');
    return result;
  });
}

std::future<lbha::v1::PeerHostKey> replicator::peer_host_key(std::string address) {
  auto promise = std::make_shared<std::promise<lbha::v1::PeerHostKey>>();
  auto future = promise->get_future();
  asio::post(io_, [this, promise, address = std::move(address)]() mutable {
    if (stopped_) {
      lbha::v1::PeerHostKey reply;
      reply.set_message("replicatord is shutting down");
      promise->set_value(reply);
      return;
    }
    asio::post(worker_, [this, promise, address = std::move(address)] {
      lbha::v1::PeerHostKey reply;
      auto key = ops_.peer_host_key(address);
      reply.set_ok(key.has_value());
      if (key) {
        reply.set_fingerprint(key.value().fingerprint);
        reply.set_key_type(key.value().key_type);
      } else {
        reply.set_message(key.error().message());
      }
      promise->set_value(std::move(reply));
    });
  });
  return future;
}

std::future<lbha::v1::ReplicationResult> replicator::unpair(bool local_only) {
  return submit([this, local_only] { return ops_.unpair(local_only); });
}

std::future<lbha::v1::ReplicationResult> replicator::push(lbha::v1::ClusterConfig config,
                                                          bool dry_run, std::string origin,
                                                          std::string summary) {
  return submit(
      [this, config = std::move(config), dry_run, origin = std::move(origin),
       summary = std::move(summary)]() mutable {
        return ops_.push(std::move(config), dry_run, origin, summary);
      },
      !dry_run);
}

std::future<lbha::v1::ReplicationResult> replicator::rollback(std::uint64_t generation,
                                                              bool dry_run) {
  return submit([this, generation, dry_run] { return ops_.rollback(generation, dry_run); },
                !dry_run);
}

std::future<lbha::v1::ReplicationResult> replicator::take_over(bool force) {
  return submit([this, force] { return ops_.take_over(force, peer_heard_.load()); });
}

lbha::v1::HistoryReply replicator::history() const {
  lbha::v1::HistoryReply reply;
  config_history store(config_history::dir_in(ops_.node().state_dir));
  auto listing = store.list();
  for (const auto& entry : listing.entries) {
    auto* out = reply.add_entries();
    out->set_generation(entry.generation);
    out->set_term(entry.term);
    out->set_origin(entry.origin);
    out->set_at(entry.at);
    out->set_summary(entry.summary);
  }
  for (const auto& problem : listing.problems) reply.add_problems(problem);
  auto current = load_cluster_header(cluster_config_path(ops_.node().config_dir));
  if (current) reply.set_current_generation(current.value().generation());
  return reply;
}

lbha::v1::GenerationReply replicator::generation(std::uint64_t generation) const {
  lbha::v1::GenerationReply reply;
  config_history store(config_history::dir_in(ops_.node().state_dir));
  auto config = store.load(generation);
  reply.set_ok(config.has_value());
  if (config) {
    *reply.mutable_config() = std::move(config).value();
  } else {
    reply.set_message(config.error().message());
  }
  return reply;
}

void replicator::push_failed(const lbha::v1::NodeResult& node, std::uint64_t generation,
                             const char* by) {
  if (!alert_sink_) return;
  std::string addresses;
  for (const auto& a : ops_.node().peer_addresses) addresses += (addresses.empty() ? "" : ",") + a;
  const std::string peer = node.node().empty() ? addresses : node.node();
  alert_sink_({"push_failed",
               "Pushing cluster config generation " + std::to_string(generation) + " to the peer " +
                   peer + " failed (" + by + "): " + node.message(),
               {{"PEER", peer},
                {"PEER_ADDRESS", addresses},
                {"GENERATION", std::to_string(generation)},
                {"TRIGGER", by},
                {"REASON", node.message()}}});
}

void replicator::note_push(const lbha::v1::ReplicationResult& result, bool alert) {
  // The generation committed here is what the peer was sent.
  std::uint64_t committed = 0;
  for (const auto& node : result.nodes()) {
    if (node.node() == ops_.node().node_name) committed = node.generation();
  }
  // Only results that exchanged with the peer say anything about it.
  for (const auto& node : result.nodes()) {
    if (node.node() == ops_.node().node_name) continue;
    if (node.generation() > 0) {
      last_exchange_ = std::chrono::steady_clock::now();
      exchanged_generation_ = node.generation();
    }
    std::lock_guard lock(status_mutex_);
    last_push_ok_ = node.ok();
    last_push_message_ = node.message();
    last_push_unix_ms_ = unix_ms_now();
    peer_reachable_ = node.ok();
    if (node.ok()) peer_generation_ = node.generation();
    if (alert && !node.ok()) push_failed(node, committed, "commit");
  }
}

void replicator::note_check(const peer_check& check) {
  if (!check.attempted) return;
  if (check.reachable) {
    last_exchange_ = std::chrono::steady_clock::now();
    exchanged_generation_ = check.peer_generation;
  }
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
    if (heartbeat_live_ && heartbeat_hears_peer_) {
      // The peer's heartbeats carry its generation: they trigger catch-up.
      schedule_check(opts_.check_interval);
      return;
    }
    do_check(trigger::poll);
  });
}

void replicator::do_check(trigger why) {
  // A commit in flight pushes by itself; checking now could push the same generation twice.
  if (pending_ > 0) {
    if (why == trigger::poll) schedule_check(opts_.check_interval);
    return;
  }
  ++pending_;
  asio::post(worker_, [this, why] {
    auto check = ops_.catch_up();
    asio::post(io_, [this, why, check] {
      --pending_;
      note_check(check);
      auto log = get_logger("replicatord");
      const char* by = why == trigger::heartbeat ? "heartbeat" : "poll";
      if (check.attempted && !check.in_sync) {
        ++check_failures_;
        log->warn("peer not in sync (catch-up by {}): {}", by, check.message);
      } else {
        if (check.push) log->info("peer caught up (catch-up by {}): {}", by, check.message);
        check_failures_ = 0;
      }
      if (check.push && !check.push->ok()) {
        push_failed(*check.push, check.local_generation, "catch-up");
      }
      if (check.push) {
        std::lock_guard lock(status_mutex_);
        last_catch_up_ = std::string(by) + ": " + (check.push->ok() ? "pushed" : "push failed") +
                         " generation " + std::to_string(check.push->generation()) + ": " +
                         check.push->message();
        last_catch_up_unix_ms_ = unix_ms_now();
      }
      const auto delay = next_check_delay(check_failures_, opts_.check_interval, opts_.max_backoff);
      if (why == trigger::heartbeat) {
        // The next heartbeat status may trigger again, but not before the backoff.
        next_heartbeat_check_ = std::chrono::steady_clock::now() +
                                (check_failures_ > 0 ? delay : std::chrono::milliseconds(0));
        return;  // the poll timer keeps its own schedule
      }
      schedule_check(heartbeat_live_ ? std::max(delay, opts_.max_backoff) : delay);
    });
  });
}

void replicator::on_heartbeat(lbha::v1::HaStatus status) {
  asio::post(io_, [this, status = std::move(status)] { heartbeat_status(status); });
}

void replicator::on_heartbeat_lost() {
  asio::post(io_, [this] {
    heartbeat_live_ = false;
    peer_heard_ = false;
    {
      std::lock_guard lock(status_mutex_);
      heartbeat_watch_ = false;
    }
    schedule_check(opts_.check_interval);  // back to SSH polling
  });
}

void replicator::heartbeat_status(const lbha::v1::HaStatus& status) {
  if (stopped_) return;
  if (!heartbeat_live_) {
    std::lock_guard lock(status_mutex_);
    heartbeat_watch_ = true;
  }
  heartbeat_live_ = true;
  heartbeat_hears_peer_ = status.peer_alive();
  peer_heard_ = status.peer_alive();
  if (!status.peer_alive() || status.config_generation() == 0 ||
      status.peer_config_generation() == status.config_generation() ||
      status.peer_config_generation() == 0) {
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (pending_ > 0 || now < next_heartbeat_check_) return;
  // Heartbeats sent before our last push landed still carry the old generation.
  if (exchanged_generation_ >= status.config_generation() &&
      now - last_exchange_ < std::chrono::seconds(5)) {
    return;
  }
  get_logger("replicatord")
      ->info("heartbeat: peer node {} runs config generation {}, this node {}; catching up",
             status.peer_node_id(), status.peer_config_generation(), status.config_generation());
  do_check(trigger::heartbeat);
}

lbha::v1::ReplicationStatus replicator::status() {
  auto status = ops_.local_status();
  if (alert_counters_) *status.mutable_alert_hooks() = to_proto(alert_counters_());
  std::lock_guard lock(status_mutex_);
  status.set_last_push_ok(last_push_ok_);
  status.set_last_push_message(last_push_message_);
  status.set_last_push_unix_ms(last_push_unix_ms_);
  status.set_peer_generation(status.paired() ? peer_generation_ : 0);
  status.set_peer_reachable(status.paired() && peer_reachable_);
  status.set_heartbeat_watch(heartbeat_watch_);
  status.set_last_catch_up(last_catch_up_);
  status.set_last_catch_up_unix_ms(last_catch_up_unix_ms_);
  return status;
}

}  // namespace lbha::pairing
