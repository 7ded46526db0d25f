#include "replicator/sync/table_store.hpp"

#include <algorithm>

namespace lbha::sync {

table_definition sync_table::definition(std::uint64_t table_id) const {
  return {.table_id = table_id, .name = config_.name, .key = config_.key,
          .key_length = config_.key_length(), .data_types = server_data_types,
          .expire_ms = config_.expire_ms};
}

std::optional<sync_table::key> sync_table::make_key(std::string_view raw) {
  if (raw.size() > max_key) return std::nullopt;
  key k;
  k.size = static_cast<std::uint8_t>(raw.size());
  std::memcpy(k.bytes.data(), raw.data(), raw.size());
  return k;
}

std::uint32_t sync_table::intern(std::string_view server) {
  auto [it, inserted] =
      name_index_.try_emplace(std::string(server), static_cast<std::uint32_t>(names_.size()));
  if (inserted) {
    names_.emplace_back(server);
    name_ids_.push_back(server_id(names_.back()));
  }
  return it->second;
}

void sync_table::intern_config() {
  config_names_.clear();
  for (const auto& s : config_.servers) config_names_.push_back(intern(s));
  for (std::size_t i = 0; i < names_.size(); ++i) name_ids_[i] = server_id(names_[i]);
}

std::uint64_t sync_table::put(std::string_view raw, std::string_view server,
                              clock::time_point expires, bool remote) {
  return put_interned(raw, intern(server), expires, remote);
}

std::uint64_t sync_table::put_interned(std::string_view raw, std::uint32_t server,
                                       clock::time_point expires, bool remote) {
  const auto k = make_key(raw);
  if (!k) return 0;
  const std::uint64_t id = ++last_id_;
  const auto position = static_cast<std::uint32_t>(log_.size());
  auto [it, inserted] = index_.try_emplace(*k, position);
  if (!inserted) {
    kill(it->second);
    it->second = position;
  }
  log_.push_back({*k, false, {expires, id, server, remote}});
  if (dead_ > 1024 && dead_ > log_.size() / 2) compact();
  return id;
}

void sync_table::kill(std::uint32_t position) {
  log_[position].dead = true;
  ++dead_;
}

const stored_entry* sync_table::find(std::string_view raw) const {
  const auto k = make_key(raw);
  if (!k) return nullptr;
  auto it = index_.find(*k);
  return it == index_.end() ? nullptr : &log_[it->second].entry;
}

std::size_t sync_table::purge_step(clock::time_point now, std::size_t slots) {
  std::size_t removed = 0;
  if (purge_cursor_ >= log_.size()) purge_cursor_ = 0;
  const std::size_t end = std::min(log_.size(), purge_cursor_ + slots);
  for (; purge_cursor_ < end; ++purge_cursor_) {
    slot& s = log_[purge_cursor_];
    if (s.dead || s.entry.expires > now) continue;
    index_.erase(s.k);
    kill(static_cast<std::uint32_t>(purge_cursor_));
    ++removed;
  }
  if (dead_ > 1024 && dead_ > log_.size() / 2) compact();
  return removed;
}

std::size_t sync_table::purge(clock::time_point now) {
  purge_cursor_ = 0;
  return purge_step(now, log_.size());
}

void sync_table::compact() {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < log_.size(); ++i) {
    if (log_[i].dead) continue;
    if (kept != i) log_[kept] = log_[i];
    index_[log_[kept].k] = static_cast<std::uint32_t>(kept);
    ++kept;
  }
  log_.truncate(kept);
  dead_ = 0;
  purge_cursor_ = 0;
  victims_.clear();
}

bool sync_table::evict_one() {
  if (index_.empty()) return false;
  while (true) {
    if (victims_.empty()) {
      // One scan finds the earliest-expiring few dozen for the next evictions.
      std::vector<std::uint32_t> live;
      live.reserve(index_.size());
      for (const auto& [k, position] : index_) live.push_back(position);
      const std::size_t batch = std::min<std::size_t>(live.size(), 64 + live.size() / 64);
      auto earlier = [this](std::uint32_t a, std::uint32_t b) {
        return log_[a].entry.expires < log_[b].entry.expires;
      };
      std::nth_element(live.begin(), live.begin() + static_cast<std::ptrdiff_t>(batch - 1),
                       live.end(), earlier);
      live.resize(batch);
      std::sort(live.begin(), live.end(), [&](auto a, auto b) { return earlier(b, a); });
      victims_ = std::move(live);
    }
    const std::uint32_t position = victims_.back();
    victims_.pop_back();
    slot& s = log_[position];
    if (s.dead) continue;  // replaced or purged since the scan
    index_.erase(s.k);
    kill(position);
    return true;
  }
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
