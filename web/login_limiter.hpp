// login_limiter: slows password guessing against the WebUI's log-in.
//
// Failures are counted per client address and per user name. After
// `failures` in a row for either (within `window` of each other), that client
// or that user must wait `lockout` before the next try; a success clears
// both counts. Counting per user stops a guesser who spreads over many
// addresses; per client, one who tries many names. The price: someone can
// keep a user locked out by failing on purpose, 30 s at a time; the
// operator's way in then is lbctl on the node. Both tables are bounded:
// stale entries go first, then the oldest.
//
// Not thread-safe: lbha-webd uses it on its io thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace lbha::web {

struct login_limits {
  unsigned failures = 5;
  std::chrono::seconds lockout{30};
  std::chrono::seconds window{900};  // a failure older than this is forgotten
  std::size_t max_entries = 10000;   // per table
};

class login_limiter {
 public:
  explicit login_limiter(const lbha::clock& clock, login_limits limits = {});

  // How long `client` or `user` must still wait (the longer); zero when a try is allowed.
  std::chrono::seconds wait_for(std::string_view client, std::string_view user) const;
  void failed(std::string_view client, std::string_view user);
  void succeeded(std::string_view client, std::string_view user);

 private:
  struct entry {
    unsigned count = 0;
    clock::time_point last_failure{};
    clock::time_point locked_until{};
  };
  using table = std::map<std::string, entry, std::less<>>;

  std::chrono::seconds wait_in(const table& t, std::string_view key) const;
  void count_failure(table& t, std::string_view key);

  const lbha::clock& clock_;
  login_limits limits_;
  table clients_;
  table users_;
};

}  // namespace lbha::web
