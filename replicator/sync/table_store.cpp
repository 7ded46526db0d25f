#include "replicator/sync/table_store.hpp"

#include <algorithm>

namespace lbha::sync {

table_definition sync_table::definition(std::uint64_t table_id) const {
  return {.table_id = table_id, .name = config_.name, .key = config_.key,
          .key_length = config_.key_length(), .data_types = server_data_types,
          .expire_ms = config_.expire_ms};
}

std::uint32_t sync_table::put(const std::string& key, std::string server,
                              clock::time_point expires, bool remote) {
  const std::uint32_t id = ++last_id_;
  auto [it, inserted] = entries_.try_emplace(key);
  if (!inserted) log_.erase(it->second.update_id);
  it->second = {std::move(server), expires, id, remote};
  log_.emplace(id, key);
  return id;
}

const stored_entry* sync_table::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::size_t sync_table::purge(clock::time_point now) {
  std::size_t removed = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.expires <= now) {
      log_.erase(it->second.update_id);
      it = entries_.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::uint64_t sync_table::server_id(const std::string& server) const {
  auto it = std::find(config_.servers.begin(), config_.servers.end(), server);
  return it == config_.servers.end() ? 0 : static_cast<std::uint64_t>(it - config_.servers.begin()) + 1;
}

std::optional<std::string> sync_table::server_label(std::uint64_t id) const {
  if (id < 1 || id > config_.servers.size()) return std::nullopt;
  return config_.servers[id - 1];
}

bool sync_table::has_server(const std::string& server) const { return server_id(server) != 0; }

}  // namespace lbha::sync
