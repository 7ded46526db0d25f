#include "proxy/stick_table.hpp"

#include <algorithm>

namespace lbha::proxy {

std::vector<stick_change> stick_subscription::take(std::size_t max,
                                                   std::chrono::milliseconds wait) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, wait, [&] { return closed_ || !pending_.empty(); });
  std::vector<stick_change> out;
  const std::size_t n = std::min(max, pending_.size());
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  return out;
}

void stick_subscription::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

bool stick_subscription::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

std::uint64_t stick_subscription::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void stick_subscription::push(const stick_change& change) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    if (pending_.size() >= limit_) {
      pending_.pop_front();
      ++dropped_;
    }
    pending_.push_back(change);
  }
  ready_.notify_one();
}

stick_table::stick_table(const lbha::clock& clock, std::size_t capacity, std::size_t shards)
    : clock_(clock) {
  if (capacity == 0) capacity = 1;
  if (shards == 0) shards = std::clamp<std::size_t>(capacity / 1024, 1, 64);
  shards = std::min(shards, capacity);
  shard_capacity_ = (capacity + shards - 1) / shards;
  shards_.reserve(shards);
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<shard>());
}

void stick_table::set_expiry(shard& s, value& v, clock::time_point expires) {
  // Re-keys the order node in place: no allocation on the per-connection path.
  auto node = s.by_expiry.extract(v.position);
  node.value().first = expires;
  v.position = s.by_expiry.insert(std::move(node)).position;
  v.expires = expires;
}

void stick_table::drop_expired(shard& s, clock::time_point now) {
  while (!s.by_expiry.empty() && s.by_expiry.begin()->first <= now) {
    const key* k = s.by_expiry.begin()->second;
    s.by_expiry.erase(s.by_expiry.begin());
    s.entries.erase(*k);
    expired_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::optional<std::string> stick_table::lookup(const std::string& service,
                                               const client_key& client, clock::duration ttl) {
  const key k{service, client};
  shard& s = shard_for(k);
  const auto now = clock_.now();
  std::optional<stick_change> announce;
  std::string server;
  {
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(k);
    if (it == s.entries.end()) return std::nullopt;
    value& v = it->second;
    if (v.expires <= now) {
      s.by_expiry.erase(v.position);
      s.entries.erase(it);
      expired_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    const auto expires = now + ttl;
    set_expiry(s, v, expires);
    server = v.real_server;
    if (has_subscribers_.load(std::memory_order_relaxed) && expires - v.published > ttl / 4) {
      v.published = expires;
      announce = stick_change{service, client, server, expires};
    }
  }
  if (announce) publish(*announce);
  return server;
}

bool stick_table::put(shard& s, const key& k, const std::string& real_server,
                      clock::time_point expires, bool local) {
  auto it = s.entries.find(k);
  if (it != s.entries.end()) {
    it->second.real_server = real_server;
    set_expiry(s, it->second, expires);
    if (local) it->second.published = expires;
    return local;
  }
  if (s.entries.size() >= shard_capacity_) {
    drop_expired(s, clock_.now());
    if (s.entries.size() >= shard_capacity_) {
      const key* victim = s.by_expiry.begin()->second;
      s.by_expiry.erase(s.by_expiry.begin());
      s.entries.erase(*victim);
      evicted_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  auto [pos, inserted] = s.entries.emplace(k, value{real_server, expires, expires, {}});
  pos->second.position = s.by_expiry.emplace(expires, &pos->first).first;
  return local;
}

void stick_table::stick(const std::string& service, const client_key& client,
                        const std::string& real_server, clock::duration ttl) {
  const key k{service, client};
  shard& s = shard_for(k);
  const auto expires = clock_.now() + ttl;
  {
    std::lock_guard lock(s.mutex);
    put(s, k, real_server, expires, true);
  }
  if (has_subscribers_.load(std::memory_order_relaxed)) {
    publish(stick_change{service, client, real_server, expires});
  }
}

void stick_table::apply_remote(const std::string& service, const client_key& client,
                               const std::string& real_server, clock::duration expires_in) {
  if (expires_in <= clock::duration::zero()) {
    erase(service, client);
    return;
  }
  const key k{service, client};
  shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  put(s, k, real_server, clock_.now() + expires_in, false);
}

void stick_table::erase(const std::string& service, const client_key& client) {
  const key k{service, client};
  shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  auto it = s.entries.find(k);
  if (it == s.entries.end()) return;
  s.by_expiry.erase(it->second.position);
  s.entries.erase(it);
}

std::size_t stick_table::expire() {
  const auto before = expired_.load();
  const auto now = clock_.now();
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    drop_expired(*s, now);
  }
  return static_cast<std::size_t>(expired_.load() - before);
}

void stick_table::for_each(const std::function<void(const stick_change&)>& fn) const {
  const auto now = clock_.now();
  std::vector<stick_change> batch;
  for (auto& s : shards_) {
    batch.clear();
    {
      std::lock_guard lock(s->mutex);
      batch.reserve(s->entries.size());
      for (auto& [k, v] : s->entries) {
        if (v.expires > now) batch.push_back({k.service, k.client, v.real_server, v.expires});
      }
    }
    for (auto& c : batch) fn(c);
  }
}

std::size_t stick_table::size() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    n += s->entries.size();
  }
  return n;
}

stick_table::stats stick_table::statistics() const {
  return stats{size(), evicted_.load(), expired_.load()};
}

std::shared_ptr<stick_subscription> stick_table::subscribe(std::size_t limit) {
  auto sub = std::make_shared<stick_subscription>(limit);
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.push_back(sub);
  has_subscribers_.store(true);
  return sub;
}

void stick_table::publish(const stick_change& change) {
  std::lock_guard lock(subscribers_mutex_);
  std::erase_if(subscribers_, [](const std::weak_ptr<stick_subscription>& w) {
    auto s = w.lock();
    return !s || s->closed();
  });
  for (auto& w : subscribers_) {
    if (auto s = w.lock()) s->push(change);
  }
  has_subscribers_.store(!subscribers_.empty(), std::memory_order_relaxed);
}

}  // namespace lbha::proxy
