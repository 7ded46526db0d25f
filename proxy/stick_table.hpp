// The persistence (stick) table: (virtual service, client address) -> real
// server label, each entry with an expiry that every use pushes forward.
//
// Lifecycle and concurrency: one table per proxyd, shared by every worker
// thread, the health checker's io_context and the gRPC threads. It is split
// into shards by key hash, each with its own mutex, so two workers seldom
// contend; no lock is held while calling out. Expiry is lazy on lookup plus a
// periodic expire() sweep, which is cheap because each shard remembers the earliest
// expiry it holds and is skipped until then.
//
// Bounded size: each shard holds at most ceil(capacity / shards) entries. When
// a new key arrives at a full shard, expired entries are dropped first; if none
// are, the entry nearest its expiry (the least recently used one for a given
// service timeout) is evicted and counted in stats().evicted. The new client is
// always admitted: a client that is balanced afresh is worth more than a
// nearly-stale one.
//
// Changes made by this node (a new entry, a changed server, or a refresh that
// moved the expiry by more than a quarter of its timeout since last announced)
// are published to subscribers, which is what Proxy.WatchTable streams to
// syncd. Entries applied from the peer with apply_remote() are NOT published
// to syncd, so a pair of syncds never echoes an update back and forth (a
// subscriber may ask for them, to observe replication).
//
// Memory: an entry is 32 bytes in place in a flat hash set (names are
// interned, no per-entry expiry index), 33 with its control byte, so 38 to 75
// bytes per entry as the sets fill and grow. The price is that finding the
// entry nearest its expiry scans the shard; a scan keeps a few dozen victims
// for the next evictions.
#pragma once

#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.hpp"
#include "proxy/address.hpp"

namespace lbha::proxy {

struct stick_change {
  std::string service;
  client_key client;
  std::string real_server;
  clock::time_point expires;
};

// One subscriber's queue of published changes. Bounded: when the consumer
// falls behind by more than `limit` changes the oldest are dropped and
// counted; the consumer can then resynchronise with a snapshot.
class stick_subscription {
 public:
  explicit stick_subscription(std::size_t limit) : limit_(limit) {}

  // Waits up to `wait` for at least one change, then returns up to `max`.
  std::vector<stick_change> take(std::size_t max, std::chrono::milliseconds wait);
  void close();
  bool closed() const;
  std::uint64_t dropped() const;

 private:
  friend class stick_table;
  void push(const stick_change& change);

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<stick_change> pending_;
  std::uint64_t dropped_ = 0;
  bool closed_ = false;
};

class stick_table {
 public:
  struct stats {
    std::uint64_t entries = 0;
    std::uint64_t evicted = 0;  // dropped to make room while not yet expired
    std::uint64_t expired = 0;
  };

  // `shards` = 0 picks a count suited to `capacity`.
  stick_table(const lbha::clock& clock, std::size_t capacity, std::size_t shards = 0);

  // The server label stuck to `client` on `service`, with its expiry pushed to
  // now + ttl; nullopt when there is no live entry.
  std::optional<std::string> lookup(const std::string& service, const client_key& client,
                                    clock::duration ttl);

  // Sticks `client` to `real_server` until now + ttl (a local decision: published).
  void stick(const std::string& service, const client_key& client, const std::string& real_server,
             clock::duration ttl);

  // Applies an entry learned from the peer (published only to subscribers that
  // asked for remote entries too). A zero lifetime removes it.
  void apply_remote(const std::string& service, const client_key& client,
                    const std::string& real_server, clock::duration expires_in);

  // One entry of a batch learned from the peer: `service` and `real_server`
  // index the batch's `labels`.
  struct remote_entry {
    client_key client;
    std::uint16_t service = 0;
    std::uint16_t real_server = 0;
    std::uint32_t expires_in_ms = 0;  // 0 removes the entry
  };
  // apply_remote() for a whole batch (a resync brings a million): each name is
  // interned once and each shard locked once, not once per entry.
  void apply_remote(std::span<const std::string_view> labels,
                    std::span<const remote_entry> entries);

  void erase(const std::string& service, const client_key& client);

  // Drops every expired entry; returns how many.
  std::size_t expire();

  // Calls `fn` for every live entry, one shard locked at a time.
  void for_each(const std::function<void(const stick_change&)>& fn) const;

  std::size_t size() const;
  stats statistics() const;
  std::size_t capacity() const { return shard_capacity_ * shards_.size(); }

  // A queue that receives every local change from now on (and, with
  // `include_remote`, every applied remote entry), until closed.
  std::shared_ptr<stick_subscription> subscribe(std::size_t limit = 1'000'000,
                                                bool include_remote = false);

 private:
  // Names (service and real-server labels) are interned: an entry holds two
  // 16-bit ids instead of two strings, which keeps it within one 64-byte
  // allocation. The sets of names are small and only grow.
  class names {
   public:
    // The id of `name`, adding it; nullopt when the id space is full.
    std::optional<std::uint16_t> intern(const std::string& name);
    std::optional<std::uint16_t> find(const std::string& name) const;
    std::string at(std::uint16_t id) const;

   private:
    mutable std::shared_mutex mutex_;
    std::unordered_map<std::string, std::uint16_t> ids_;
    std::vector<std::string> names_;
  };

  struct key {
    std::array<std::uint8_t, 16> bytes;
    std::uint16_t service;
    std::uint8_t size;
    friend bool operator==(const key& a, const key& b) {
      return a.service == b.service && a.size == b.size &&
             std::memcmp(a.bytes.data(), b.bytes.data(), a.size) == 0;
    }
    std::uint64_t hash() const {
      std::uint64_t h = 1469598103934665603ull ^ size ^ (std::uint64_t{service} << 8);
      for (std::size_t i = 0; i < size; ++i) {
        h ^= bytes[i];
        h *= 1099511628211ull;
      }
      return client_key::mix(h);
    }
  };
  // One entry, 32 bytes, stored in place in a flat hash set (no node, no
  // allocation per entry). Only `k` is the key; the rest may change in place.
  struct entry {
    key k;
    mutable std::uint16_t server;
    // The expiry last announced to subscribers lies this many seconds before
    // `expires` (saturating): whether a refresh is worth announcing.
    mutable std::uint16_t published_s;
    mutable clock::time_point expires;

    clock::time_point published() const { return expires - std::chrono::seconds(published_s); }
    void set_expiry(clock::time_point e, clock::time_point published) const {
      expires = e;
      const auto lag = std::chrono::duration_cast<std::chrono::seconds>(e - published).count();
      published_s = static_cast<std::uint16_t>(std::clamp<std::int64_t>(lag, 0, UINT16_MAX));
    }
  };
  struct entry_hash {
    using is_transparent = void;
    std::size_t operator()(const key& k) const { return k.hash(); }
    std::size_t operator()(const entry& e) const { return e.k.hash(); }
  };
  struct entry_eq {
    using is_transparent = void;
    static const key& of(const key& k) { return k; }
    static const key& of(const entry& e) { return e.k; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return of(a) == of(b);
    }
  };
  // The entries nearest their expiry, found by one scan of a full shard and
  // used up by the following evictions (each re-checked against the entry).
  struct victim {
    clock::time_point expires;
    key k;
  };
  struct shard {
    mutable std::mutex mutex;
    absl::flat_hash_set<entry, entry_hash, entry_eq> entries;
    std::atomic<std::size_t> count{0};  // entries.size(), readable without the lock
    std::vector<victim> victims;   // nearest expiry last
    clock::time_point earliest = clock::time_point::max();  // no entry expires before this
  };

  static key make_key(std::uint16_t service, const client_key& client);
  // The top bits pick the shard: the set inside uses the low ones.
  shard& shard_for(const key& k) { return *shards_[(k.hash() >> 40) % shards_.size()]; }
  // Inserts or updates under the shard lock.
  void put(shard& s, const key& k, std::uint16_t server, clock::time_point expires, bool local);
  // Makes room in a full shard: drops the entry nearest its expiry.
  void make_room(shard& s, clock::time_point now);
  void drop_expired(shard& s, clock::time_point now);
  void publish(const stick_change& change, bool remote);

  const lbha::clock& clock_;
  std::size_t shard_capacity_;
  std::vector<std::unique_ptr<shard>> shards_;
  names services_;
  names servers_;
  std::atomic<std::uint64_t> evicted_{0};
  std::atomic<std::uint64_t> expired_{0};

  struct subscriber {
    std::weak_ptr<stick_subscription> queue;
    bool include_remote;
  };
  std::mutex subscribers_mutex_;
  std::vector<subscriber> subscribers_;
  std::atomic<bool> has_subscribers_{false};
  std::atomic<bool> has_remote_subscribers_{false};
};

}  // namespace lbha::proxy
