// syncd's copy of the persistence tables, with the update log the peers
// protocol needs.
//
// Every entry carries an update id from its table's counter, so a peer can
// acknowledge "everything up to id N" and a new session resumes after the
// last acknowledged id. Entries learned from a peer get an id too (a full
// resync teaches them in id order) but are marked remote and never pushed
// live: with HAProxy's semantics an update is not echoed back to the peers.
//
// Not thread-safe: owned by sync_node on the daemon's io_context.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
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
  explicit sync_table(table_config config) : config_(std::move(config)) {}

  const table_config& config() const { return config_; }
  // The definition sent to peers; `table_id` is our id for it.
  table_definition definition(std::uint64_t table_id) const;

  // Stores an entry; returns its new update id.
  std::uint32_t put(const std::string& key, std::string server, clock::time_point expires,
                    bool remote);
  const stored_entry* find(const std::string& key) const;
  // Removes entries that expired at or before `now`; returns how many.
  std::size_t purge(clock::time_point now);

  std::uint32_t last_update_id() const { return last_id_; }
  std::size_t size() const { return entries_.size(); }

  // Calls fn(key, entry) for entries with update id > after, in id order.
  template <typename F>
  void for_each_after(std::uint32_t after, F&& fn) const {
    for (auto it = log_.upper_bound(after); it != log_.end(); ++it) {
      fn(it->second, entries_.at(it->second));
    }
  }

  // 1-based index of `server`, 0 when unknown.
  std::uint64_t server_id(const std::string& server) const;
  // The label for a server_id, nullopt when out of range.
  std::optional<std::string> server_label(std::uint64_t id) const;
  bool has_server(const std::string& server) const;

 private:
  table_config config_;
  std::unordered_map<std::string, stored_entry> entries_;
  std::map<std::uint32_t, std::string> log_;  // update id -> key
  std::uint32_t last_id_ = 0;
};

}  // namespace lbha::sync
