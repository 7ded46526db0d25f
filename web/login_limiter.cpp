#include "web/login_limiter.hpp"

#include <algorithm>

namespace lbha::web {

login_limiter::login_limiter(const lbha::clock& clock, login_limits limits)
    : clock_(clock), limits_(limits) {}

std::chrono::seconds login_limiter::wait_in(const table& t, std::string_view key) const {
  auto it = t.find(key);
  if (it == t.end()) return std::chrono::seconds{0};
  const auto left = it->second.locked_until - clock_.now();
  if (left <= clock::duration::zero()) return std::chrono::seconds{0};
  // Round up: "wait 0 s" would invite a try that is still refused.
  return std::chrono::ceil<std::chrono::seconds>(left);
}

std::chrono::seconds login_limiter::wait_for(std::string_view client, std::string_view user) const {
  return std::max(wait_in(clients_, client), wait_in(users_, user));
}

void login_limiter::count_failure(table& t, std::string_view key) {
  const auto now = clock_.now();
  auto it = t.find(key);
  if (it == t.end()) {
    if (t.size() >= limits_.max_entries) {
      std::erase_if(t, [&](const auto& e) {
        return e.second.locked_until <= now && now - e.second.last_failure >= limits_.window;
      });
    }
    if (t.size() >= limits_.max_entries) {
      t.erase(std::min_element(t.begin(), t.end(), [](const auto& a, const auto& b) {
        return a.second.last_failure < b.second.last_failure;
      }));
    }
    it = t.emplace(std::string(key), entry{}).first;
  }
  auto& e = it->second;
  if (e.count > 0 && now - e.last_failure >= limits_.window) e.count = 0;
  e.last_failure = now;
  if (++e.count >= limits_.failures) {
    e.count = 0;
    e.locked_until = now + limits_.lockout;
  }
}

void login_limiter::failed(std::string_view client, std::string_view user) {
  count_failure(clients_, client);
  count_failure(users_, user);
}

void login_limiter::succeeded(std::string_view client, std::string_view user) {
  if (auto it = clients_.find(client); it != clients_.end()) clients_.erase(it);
  if (auto it = users_.find(user); it != users_.end()) users_.erase(it);
}

}  // namespace lbha::web
