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
// Not thread-safe: owned by sync_node on the daemon's io_context.
#pragma once

#include <absl/container/flat_hash_map.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
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

struct stored_entry {
  std::string server;
  clock::time_point expires;
  std::uint32_t update_id = 0;
  bool remote = false;  // learned from a peer: taught, never pushed live
};

class sync_table {
 public:
  // Keys are client addresses: at most 16 bytes.
  static constexpr std::size_t max_key = 16;

  explicit sync_table(table_config config) : config_(std::move(config)) {}

  const table_config& config() const { return config_; }
  // New servers or expiry for the same table (name and key type unchanged).
  void reconfigure(table_config config) { config_ = std::move(config); }
  // The definition sent to peers; `table_id` is our id for it.
  table_definition definition(std::uint64_t table_id) const;

  // Stores an entry; returns its new update id (0: key longer than max_key, ignored).
  std::uint32_t put(std::string_view key, std::string server, clock::time_point expires,
                    bool remote);
  const stored_entry* find(std::string_view key) const;
  // Removes entries that expired at or before `now`; returns how many.
  std::size_t purge(clock::time_point now);
  // The same for the next `slots` slots of the log (a sweep in small steps).
  std::size_t purge_step(clock::time_point now, std::size_t slots);

  std::uint32_t last_update_id() const { return last_id_; }
  std::size_t size() const { return index_.size(); }

  // Calls fn(key, entry) for entries with update id > after, in id order.
  template <typename F>
  void for_each_after(std::uint32_t after, F&& fn) const {
    auto it = std::upper_bound(log_.begin(), log_.end(), after,
                               [](std::uint32_t id, const slot& s) { return id < s.entry.update_id; });
    for (; it != log_.end(); ++it) {
      if (!it->dead) fn(it->k.view(), it->entry);
    }
  }

  // The same for at most `limit` entries; returns the id to continue after
  // (last_update_id() once the log is exhausted).
  template <typename F>
  std::uint32_t for_each_after(std::uint32_t after, std::size_t limit, F&& fn) const {
    auto it = std::upper_bound(log_.begin(), log_.end(), after,
                               [](std::uint32_t id, const slot& s) { return id < s.entry.update_id; });
    for (; it != log_.end() && limit > 0; ++it) {
      if (it->dead) continue;
      fn(it->k.view(), it->entry);
      --limit;
    }
    return it == log_.end() ? last_id_ : it->entry.update_id - 1;
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

  static std::optional<key> make_key(std::string_view raw);
  void kill(std::uint32_t position);
  void compact();

  table_config config_;
  std::deque<slot> log_;  // ascending update ids; a deque never moves a million slots to grow
  absl::flat_hash_map<key, std::uint32_t> index_;  // key -> position in log_
  std::size_t dead_ = 0;
  std::size_t purge_cursor_ = 0;
  std::uint32_t last_id_ = 0;
};

}  // namespace lbha::sync
