// session_store: the WebUI's log-in sessions, kept in the daemon's memory.
//
// A session is created at log-in and named by a random 256-bit id, which the
// browser holds in a cookie (Secure; HttpOnly; SameSite=Strict). Each has its
// own random CSRF token that every POST must carry. A session unused for
// `idle` ends (the next lookup does not find it); so does one logged out.
// A restart of lbha-webd ends them all, which is the simplest safe choice
// for an admin interface: log in again. The number of sessions is bounded;
// a new one beyond it replaces the least recently used.
//
// Not thread-safe: lbha-webd uses it on its io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace lbha::web {

// What the user's Unix groups allow: lbha-admin changes, lbha reads.
enum class access { read_only, admin };

struct web_session {
  std::string id;
  std::string user;
  web::access access = access::read_only;
  std::string csrf_token;
  std::string notice;  // one message for the next page (what the last action did)
  clock::time_point last_used;
};

class session_store {
 public:
  session_store(const lbha::clock& clock, std::chrono::milliseconds idle,
                std::size_t max_sessions = 1000);

  web_session create(std::string user, web::access access);
  // The session named `id` if it is still alive; counts as a use.
  std::optional<web_session> find(std::string_view id);
  void remove(std::string_view id);
  // Leaves `notice` for the session's next page; take_notice hands it over once.
  void set_notice(std::string_view id, std::string notice);
  std::string take_notice(std::string_view id);

  void set_idle(std::chrono::milliseconds idle) { idle_ = idle; }
  std::size_t size() const { return sessions_.size(); }

 private:
  void drop_expired();

  const lbha::clock& clock_;
  std::chrono::milliseconds idle_;
  std::size_t max_sessions_;
  std::map<std::string, web_session, std::less<>> sessions_;
};

// 64 lowercase hex digits of 32 random bytes (OpenSSL's RAND_bytes).
std::string random_token();

// Constant-time comparison, so a token cannot be guessed byte by byte from timing.
bool tokens_equal(std::string_view a, std::string_view b);

}  // namespace lbha::web
