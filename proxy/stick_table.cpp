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

std::optional<std::uint16_t> stick_table::names::find(const std::string& name) const {
  std::shared_lock lock(mutex_);
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::uint16_t> stick_table::names::intern(const std::string& name) {
  if (auto id = find(name)) return id;
  std::unique_lock lock(mutex_);
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  if (names_.size() > UINT16_MAX) return std::nullopt;
  const auto id = static_cast<std::uint16_t>(names_.size());
  names_.push_back(name);
  ids_.emplace(name, id);
  return id;
}

std::string stick_table::names::at(std::uint16_t id) const {
  std::shared_lock lock(mutex_);
  return names_[id];
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

stick_table::key stick_table::make_key(std::uint16_t service, const client_key& client) {
  key k;
  k.bytes = client.bytes;
  k.service = service;
  k.size = client.size;
  return k;
}

void stick_table::drop_expired(shard& s, clock::time_point now) {
  if (now < s.earliest) return;
  clock::time_point earliest = clock::time_point::max();
  const auto before = s.entries.size();
  absl::erase_if(s.entries, [&](const entry& e) {
    if (e.expires <= now) return true;
    earliest = std::min(earliest, e.expires);
    return false;
  });
  expired_.fetch_add(before - s.entries.size(), std::memory_order_relaxed);
  s.count.store(s.entries.size(), std::memory_order_relaxed);
  s.earliest = earliest;
}

void stick_table::make_room(shard& s, clock::time_point now) {
  while (true) {
    if (s.victims.empty()) {
      // One scan finds the few entries nearest their expiry, for this and the
      // next evictions; a victim refreshed since is skipped below.
      constexpr std::size_t keep = 32;
      auto later = [](const victim& a, const victim& b) { return a.expires < b.expires; };
      for (const auto& e : s.entries) {
        if (s.victims.size() < keep) {
          s.victims.push_back({e.expires, e.k});
          std::push_heap(s.victims.begin(), s.victims.end(), later);
        } else if (e.expires < s.victims.front().expires) {
          std::pop_heap(s.victims.begin(), s.victims.end(), later);
          s.victims.back() = {e.expires, e.k};
          std::push_heap(s.victims.begin(), s.victims.end(), later);
        }
      }
      std::sort_heap(s.victims.begin(), s.victims.end(), later);
      std::reverse(s.victims.begin(), s.victims.end());  // nearest expiry last
      if (s.victims.empty()) return;
    }
    const victim v = s.victims.back();
    s.victims.pop_back();
    auto it = s.entries.find(v.k);
    if (it == s.entries.end() || it->expires != v.expires) continue;
    s.entries.erase(it);
    (v.expires <= now ? expired_ : evicted_).fetch_add(1, std::memory_order_relaxed);
    return;
  }
}

std::optional<std::string> stick_table::lookup(const std::string& service,
                                               const client_key& client, clock::duration ttl) {
  const auto service_id = services_.find(service);
  if (!service_id) return std::nullopt;
  const key k = make_key(*service_id, client);
  shard& s = shard_for(k);
  const auto now = clock_.now();
  std::uint16_t server;
  bool announce = false;
  clock::time_point expires;
  {
    std::lock_guard lock(s.mutex);
    auto it = s.entries.find(k);
    if (it == s.entries.end()) return std::nullopt;
    const entry& e = *it;
    if (e.expires <= now) {
      s.entries.erase(it);
      s.count.store(s.entries.size(), std::memory_order_relaxed);
      expired_.fetch_add(1, std::memory_order_relaxed);
      return std::nullopt;
    }
    expires = now + ttl;
    server = e.server;
    auto published = e.published();
    if (has_subscribers_.load(std::memory_order_relaxed) && expires - published > ttl / 4) {
      published = expires;
      announce = true;
    }
    e.set_expiry(expires, published);
  }
  std::string label = servers_.at(server);
  if (announce) publish(stick_change{service, client, label, expires}, false);
  return label;
}

void stick_table::put(shard& s, const key& k, std::uint16_t server, clock::time_point expires,
                      bool local) {
  s.earliest = std::min(s.earliest, expires);
  if (s.entries.size() < shard_capacity_) {
    // Room for it: one probe finds or inserts.
    auto [it, inserted] = s.entries.insert(entry{k, server, 0, expires});
    if (inserted) {
      s.count.store(s.entries.size(), std::memory_order_relaxed);
    } else {
      it->server = server;
      it->set_expiry(expires, local ? expires : it->published());
    }
    return;
  }
  auto it = s.entries.find(k);
  if (it != s.entries.end()) {
    it->server = server;
    it->set_expiry(expires, local ? expires : it->published());
    return;
  }
  if (s.entries.size() >= shard_capacity_) make_room(s, clock_.now());
  s.entries.insert(entry{k, server, 0, expires});
  s.count.store(s.entries.size(), std::memory_order_relaxed);
}

void stick_table::apply_remote(std::span<const std::string_view> labels,
                               std::span<const remote_entry> entries) {
  // Ids per name index, interned on first use (a name may be a service in one
  // entry and a server in another): -1 not yet looked up, -2 unusable.
  std::vector<std::int32_t> service_ids(labels.size(), -1), server_ids(labels.size(), -1);
  auto id_of = [&](std::vector<std::int32_t>& ids, names& set, std::uint16_t i, bool add) {
    if (i >= labels.size()) return std::int32_t{-2};
    if (ids[i] == -1) {
      const std::string name(labels[i]);
      const auto id = name.empty() ? std::nullopt : add ? set.intern(name) : set.find(name);
      ids[i] = id ? std::int32_t{*id} : -2;
    }
    return ids[i];
  };
  struct item {
    key k;
    std::uint32_t shard;
    std::int32_t server;  // -1: erase
    clock::time_point expires;
  };
  const auto now = clock_.now();
  std::vector<item> items;
  items.reserve(entries.size());
  std::vector<std::uint32_t> per_shard(shards_.size() + 1, 0);
  for (const auto& e : entries) {
    const bool erase = e.expires_in_ms == 0;
    const auto service = id_of(service_ids, services_, e.service, !erase);
    const auto server = erase ? -1 : id_of(server_ids, servers_, e.real_server, true);
    if (service < 0 || server == -2) continue;
    item it{make_key(static_cast<std::uint16_t>(service), e.client), 0, server,
            now + std::chrono::milliseconds(e.expires_in_ms)};
    it.shard = static_cast<std::uint32_t>((it.k.hash() >> 40) % shards_.size());
    ++per_shard[it.shard + 1];
    items.push_back(it);
  }
  // Grouped by shard (a counting sort), so each shard's lock is taken once.
  for (std::size_t i = 1; i < per_shard.size(); ++i) per_shard[i] += per_shard[i - 1];
  std::vector<std::uint32_t> order(items.size());
  {
    auto next = per_shard;
    for (std::uint32_t i = 0; i < items.size(); ++i) order[next[items[i].shard]++] = i;
  }
  for (std::size_t sh = 0; sh < shards_.size(); ++sh) {
    if (per_shard[sh] == per_shard[sh + 1]) continue;
    shard& s = *shards_[sh];
    std::lock_guard lock(s.mutex);
    for (auto o = per_shard[sh]; o < per_shard[sh + 1]; ++o) {
      const item& it = items[order[o]];
      if (it.server < 0) {
        s.entries.erase(it.k);
      } else {
        put(s, it.k, static_cast<std::uint16_t>(it.server), it.expires, false);
      }
    }
    s.count.store(s.entries.size(), std::memory_order_relaxed);
  }
  if (!has_remote_subscribers_.load(std::memory_order_relaxed)) return;
  for (const auto& it : items) {
    if (it.server < 0) continue;
    client_key client;
    client.size = it.k.size;
    client.bytes = it.k.bytes;
    publish(stick_change{services_.at(it.k.service), client,
                         servers_.at(static_cast<std::uint16_t>(it.server)), it.expires},
            true);
  }
}

void stick_table::stick(const std::string& service, const client_key& client,
                        const std::string& real_server, clock::duration ttl) {
  const auto service_id = services_.intern(service);
  const auto server_id = servers_.intern(real_server);
  if (!service_id || !server_id) return;
  const key k = make_key(*service_id, client);
  shard& s = shard_for(k);
  const auto expires = clock_.now() + ttl;
  {
    std::lock_guard lock(s.mutex);
    put(s, k, *server_id, expires, true);
  }
  if (has_subscribers_.load(std::memory_order_relaxed)) {
    publish(stick_change{service, client, real_server, expires}, false);
  }
}

void stick_table::apply_remote(const std::string& service, const client_key& client,
                               const std::string& real_server, clock::duration expires_in) {
  if (expires_in <= clock::duration::zero()) {
    erase(service, client);
    return;
  }
  const auto service_id = services_.intern(service);
  const auto server_id = servers_.intern(real_server);
  if (!service_id || !server_id) return;
  const key k = make_key(*service_id, client);
  shard& s = shard_for(k);
  const auto expires = clock_.now() + expires_in;
  {
    std::lock_guard lock(s.mutex);
    put(s, k, *server_id, expires, false);
  }
  if (has_remote_subscribers_.load(std::memory_order_relaxed)) {
    publish(stick_change{service, client, real_server, expires}, true);
  }
}

void stick_table::erase(const std::string& service, const client_key& client) {
  const auto service_id = services_.find(service);
  if (!service_id) return;
  const key k = make_key(*service_id, client);
  shard& s = shard_for(k);
  std::lock_guard lock(s.mutex);
  s.entries.erase(k);
  s.count.store(s.entries.size(), std::memory_order_relaxed);
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
  struct raw {
    key k;
    std::uint16_t server;
    clock::time_point expires;
  };
  std::vector<raw> batch;
  stick_change change;
  std::uint16_t service = UINT16_MAX, server = UINT16_MAX;
  for (auto& s : shards_) {
    batch.clear();
    {
      std::lock_guard lock(s->mutex);
      batch.reserve(s->entries.size());
      for (const auto& e : s->entries) {
        if (e.expires > now) batch.push_back({e.k, e.server, e.expires});
      }
    }
    for (auto& r : batch) {
      // Names are looked up only when they change from one entry to the next.
      if (r.k.service != service) change.service = services_.at(service = r.k.service);
      if (r.server != server) change.real_server = servers_.at(server = r.server);
      change.client.size = r.k.size;
      change.client.bytes = r.k.bytes;
      change.expires = r.expires;
      fn(change);
    }
  }
}

std::size_t stick_table::size() const {
  // Without the shard locks: a status poll must not stall the data path.
  std::size_t n = 0;
  for (auto& s : shards_) n += s->count.load(std::memory_order_relaxed);
  return n;
}

stick_table::stats stick_table::statistics() const {
  return stats{size(), evicted_.load(), expired_.load()};
}

std::shared_ptr<stick_subscription> stick_table::subscribe(std::size_t limit, bool include_remote) {
  auto sub = std::make_shared<stick_subscription>(limit);
  std::lock_guard lock(subscribers_mutex_);
  subscribers_.push_back({sub, include_remote});
  has_subscribers_.store(true);
  if (include_remote) has_remote_subscribers_.store(true);
  return sub;
}

void stick_table::publish(const stick_change& change, bool remote) {
  std::lock_guard lock(subscribers_mutex_);
  std::erase_if(subscribers_, [](const subscriber& w) {
    auto s = w.queue.lock();
    return !s || s->closed();
  });
  bool any_remote = false;
  for (auto& w : subscribers_) {
    any_remote = any_remote || w.include_remote;
    if (remote && !w.include_remote) continue;
    if (auto s = w.queue.lock()) s->push(change);
  }
  has_subscribers_.store(!subscribers_.empty(), std::memory_order_relaxed);
  has_remote_subscribers_.store(any_remote, std::memory_order_relaxed);
}

}  // namespace lbha::proxy
