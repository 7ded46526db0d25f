#include "replicator/sync/dictionary.hpp"

namespace lbha::sync {

tx_dictionary::slot tx_dictionary::lookup_or_insert(const std::string& value) {
  if (auto it = ids_.find(value); it != ids_.end()) return {it->second, false};
  const std::uint32_t index = next_;
  next_ = (next_ + 1) % dictionary_size;
  if (used_[index]) ids_.erase(values_[index]);
  values_[index] = value;
  used_[index] = true;
  ids_.emplace(value, index + 1);
  return {index + 1, true};
}

void tx_dictionary::clear() {
  ids_.clear();
  used_.fill(false);
  next_ = 0;
}

bool rx_dictionary::set(std::uint64_t id, std::string value) {
  if (id < 1 || id > dictionary_size) return false;
  values_[id - 1] = std::move(value);
  return true;
}

const std::string* rx_dictionary::get(std::uint64_t id) const {
  if (id < 1 || id > dictionary_size || !values_[id - 1]) return nullptr;
  return &*values_[id - 1];
}

void rx_dictionary::clear() {
  for (auto& v : values_) v.reset();
}

}  // namespace lbha::sync
