// syncd's copy of the persistence tables, with the update log the peers
// protocol needs.
//
// Every entry carries an update id from its table's counter, so a peer can
// acknowledge "everything up to id N" and a new session resumes after the
// last acknowledged id. Entries learned from a peer get an id too (a full
// resync teaches them in id order) but are marked remote and never pushed
// live: with HAProxy's semantics an update is not echoed back to the peers.
//
// Layout, for a million entries and a lesson of all of them: the log is the
// store. It is a deque of slots in id order, each holding a whole entry; a
// flat hash index maps a key to its slot. A lesson or a push walks the log
// sequentially without a single hash lookup; an update appends a slot and
// marks the old one dead. Dead slots are dropped (and the index re-pointed)
// once they outnumber the live ones. Expiry is swept from the log in steps.
//
// Update ids: the peers protocol's are 32 bits and wrap (after ~2.5 days at
// 20k updates/s). The store numbers its entries with a 64-bit sequence that
// never wraps; the wire id is its low 32 bits, and sync_node widens a peer's
// ack back to the sequence (wire_id / widen_id below), as HAProxy compares
// its ids modulo 2^32.
//
// Bounded: sync_node evicts before a new key when the node holds its
// capacity; evict_one() drops the entry nearest its expiry, from a batch of
// candidates found by one scan (re-checked when used), as proxyd's
// stick_table does.
//
// Not thread-safe: owned by sync_node on the daemon's io_context.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "replicator/sync/messages.hpp"

namespace lbha::sync {

struct table_config {
  std::string name;  // the virtual service's label
  key_type key = key_type::ipv4;
  std::uint32_t expire_ms = 1800000;
  std::vector<std::string> servers;  // real-server labels; server_id = index + 1

  std::uint64_t key_length() const { return key == key_type::ipv6 ? 16 : 4; }
};

// The 32-bit id the peers protocol carries for a sequence number.
inline std::uint32_t wire_id(std::uint64_t sequence) { return static_cast<std::uint32_t>(sequence); }

// The sequence number at or below `latest` whose wire id is `id`, when it is
// within 2^31 of `latest` (HAProxy's wrap-around window); nullopt otherwise.
inline std::optional<std::uint64_t> widen_id(std::uint32_t id, std::uint64_t latest) {
  const std::uint32_t behind = wire_id(latest) - id;
  if (behind >= (1u << 31) || behind > latest) return std::nullopt;
  return latest - behind;
}

struct stored_entry {
  clock::time_point expires;
  std::uint64_t update_id = 0;  // the sequence number; wire_id() on the wire
  std::uint32_t server = 0;  // index of the server's name: sync_table::server_name()
  bool remote = false;       // learned from a peer: taught, never pushed live
};

class sync_table {
 public:
  // Keys are client addresses: at most 16 bytes.
  static constexpr std::size_t max_key = 16;

  // `last_id`: the sequence number before the first entry (tests start near
  // a wrap of the 32-bit wire id).
  explicit sync_table(table_config config, std::uint64_t last_id = 0)
      : config_(std::move(config)), last_id_(last_id) {
    intern_config();
  }

  const table_config& config() const { return config_; }
  // New servers or expiry for the same table (name and key type unchanged).
  void reconfigure(table_config config) {
    config_ = std::move(config);
    intern_config();
  }
  // The definition sent to peers; `table_id` is our id for it.
  table_definition definition(std::uint64_t table_id) const;

  // Stores an entry; returns its new update id (0: key longer than max_key, ignored).
  std::uint64_t put(std::string_view key, std::string_view server, clock::time_point expires,
                    bool remote);
  // The same for config().servers[config_server] (no name lookup).
  std::uint64_t put_configured(std::string_view key, std::size_t config_server,
                               clock::time_point expires, bool remote) {
    return put_interned(key, config_names_[config_server], expires, remote);
  }
  // The stored entry's server label, and its server_id (0: not configured).
  const std::string& server_name(const stored_entry& e) const { return names_[e.server]; }
  std::uint64_t server_id(const stored_entry& e) const { return name_ids_[e.server]; }
  const stored_entry* find(std::string_view key) const;
  // Brings the index's memory for `key` into the cache ahead of a put.
  void prefetch(std::string_view key) const {
    if (const auto k = make_key(key)) index_.prefetch(*k);
  }
  // Removes entries that expired at or before `now`; returns how many.
  std::size_t purge(clock::time_point now);
  // The same for the next `slots` slots of the log (a sweep in small steps).
  std::size_t purge_step(clock::time_point now, std::size_t slots);

  // Drops the live entry nearest its expiry; false when empty.
  bool evict_one();

  std::uint64_t last_update_id() const { return last_id_; }
  std::size_t size() const { return index_.size(); }

  // Calls fn(key, entry) for entries with update id > after, in id order.
  template <typename F>
  void for_each_after(std::uint64_t after, F&& fn) const {
    for (std::size_t i = first_after(after); i < log_.size(); ++i) {
      const slot& s = log_[i];
      if (!s.dead) fn(s.k.view(), s.entry);
    }
  }

  // The same for at most `limit` entries; returns the id to continue after
  // (last_update_id() once the log is exhausted).
  template <typename F>
  std::uint64_t for_each_after(std::uint64_t after, std::size_t limit, F&& fn) const {
    std::size_t i = first_after(after);
    for (; i < log_.size() && limit > 0; ++i) {
      const slot& s = log_[i];
      if (s.dead) continue;
      fn(s.k.view(), s.entry);
      --limit;
    }
    return i == log_.size() ? last_id_ : log_[i].entry.update_id - 1;
  }

  // 1-based index of `server`, 0 when unknown.
  std::uint64_t server_id(const std::string& server) const;
  // The label for a server_id, nullopt when out of range.
  std::optional<std::string> server_label(std::uint64_t id) const;
  bool has_server(const std::string& server) const;

 private:
  struct key {
    std::array<std::uint8_t, max_key> bytes{};
    std::uint8_t size = 0;

    std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), size}; }
    friend bool operator==(const key& a, const key& b) {
      return a.size == b.size && std::memcmp(a.bytes.data(), b.bytes.data(), a.size) == 0;
    }
    template <typename H>
    friend H AbslHashValue(H h, const key& k) {
      return H::combine(H::combine_contiguous(std::move(h), k.bytes.data(), k.size), k.size);
    }
  };
  struct slot {
    key k;
    bool dead = false;  // replaced by a newer slot, or expired
    stored_entry entry;
  };

  // The log: slots in fixed chunks that never move (a deque's 512-byte
  // blocks cost a malloc every seven entries).
  class slot_log {
   public:
    static constexpr std::size_t chunk = 16384;
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    slot& operator[](std::size_t i) { return chunks_[i / chunk][i % chunk]; }
    const slot& operator[](std::size_t i) const { return chunks_[i / chunk][i % chunk]; }
    void push_back(const slot& s) {
      if (size_ / chunk == chunks_.size()) chunks_.emplace_back().reserve(chunk);
      chunks_[size_ / chunk].push_back(s);
      ++size_;
    }
    // Keeps the first n slots.
    void truncate(std::size_t n) {
      chunks_.resize((n + chunk - 1) / chunk);
      if (!chunks_.empty()) chunks_.back().resize(n - (chunks_.size() - 1) * chunk);
      size_ = n;
    }

   private:
    std::vector<std::vector<slot>> chunks_;
    std::size_t size_ = 0;
  };

  // The first position whose update id is above `after`.
  std::size_t first_after(std::uint64_t after) const {
    std::size_t lo = 0, hi = log_.size();
    while (lo < hi) {
      const std::size_t mid = lo + (hi - lo) / 2;
      if (log_[mid].entry.update_id <= after) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  std::uint64_t put_interned(std::string_view key, std::uint32_t server,
                             clock::time_point expires, bool remote);
  std::uint32_t intern(std::string_view server);
  void intern_config();
  static std::optional<key> make_key(std::string_view raw);
  void kill(std::uint32_t position);
  void compact();

  table_config config_;
  slot_log log_;  // ascending update ids; never moves a million slots to grow
  // Server names, interned for good (entries keep their index across a
  // reconfiguration), their server_id under the current config, and the
  // name index of each configured server.
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, std::uint32_t> name_index_;
  std::vector<std::uint64_t> name_ids_;
  std::vector<std::uint32_t> config_names_;
  absl::flat_hash_map<key, std::uint32_t> index_;  // key -> position in log_
  std::size_t dead_ = 0;
  std::size_t purge_cursor_ = 0;
  std::vector<std::uint32_t> victims_;  // positions, latest expiry first; cleared by compact()
  std::uint64_t last_id_ = 0;
};

}  // namespace lbha::sync
