#include "web/session_store.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace lbha::web {

std::string random_token() {
  unsigned char bytes[32];
  // No randomness means no safe session: a broken invariant, not a result.
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  OPENSSL_cleanse(bytes, sizeof bytes);
  return out;
}

bool tokens_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

session_store::session_store(const lbha::clock& clock, std::chrono::milliseconds idle,
                             std::size_t max_sessions)
    : clock_(clock), idle_(idle), max_sessions_(std::max<std::size_t>(1, max_sessions)) {}

void session_store::drop_expired() {
  const auto now = clock_.now();
  std::erase_if(sessions_,
                [&](const auto& entry) { return now - entry.second.last_used >= idle_; });
}

web_session session_store::create(std::string user, web::access access) {
  drop_expired();
  if (sessions_.size() >= max_sessions_) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    sessions_.erase(oldest);
  }
  web_session session{.id = random_token(),
                      .user = std::move(user),
                      .access = access,
                      .csrf_token = random_token(),
                      .notice = {},
                      .last_used = clock_.now()};
  sessions_.emplace(session.id, session);
  return session;
}

std::optional<web_session> session_store::find(std::string_view id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  const auto now = clock_.now();
  if (now - it->second.last_used >= idle_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_used = now;
  return it->second;
}

void session_store::remove(std::string_view id) {
  if (auto it = sessions_.find(id); it != sessions_.end()) sessions_.erase(it);
}

void session_store::set_notice(std::string_view id, std::string notice) {
  if (auto it = sessions_.find(id); it != sessions_.end()) it->second.notice = std::move(notice);
}

std::string session_store::take_notice(std::string_view id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? std::string() : std::exchange(it->second.notice, {});
}

}  // namespace lbha::web
