// Sessions: random ids and CSRF tokens, idle expiry on an injected clock,
// log-out, the bound on their number.
#include "web/session_store.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lbha::web {
namespace {

using namespace std::chrono_literals;

bool is_token(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST(web_sessions, ids_and_tokens_are_256_random_bits) {
  manual_clock clock;
  session_store store(clock, 15min);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto s = store.create("admin", access::admin);
    EXPECT_TRUE(is_token(s.id)) << s.id;
    EXPECT_TRUE(is_token(s.csrf_token)) << s.csrf_token;
    EXPECT_NE(s.id, s.csrf_token);
    EXPECT_TRUE(seen.insert(s.id).second);
    EXPECT_TRUE(seen.insert(s.csrf_token).second);
  }
}

TEST(web_sessions, found_while_used_and_gone_after_the_idle_time) {
  manual_clock clock;
  session_store store(clock, 15min);
  const auto s = store.create("operator", access::read_only);
  clock.advance(14min);
  auto found = store.find(s.id);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->user, "operator");
  EXPECT_EQ(found->access, access::read_only);
  EXPECT_EQ(found->csrf_token, s.csrf_token);
  clock.advance(14min);  // 14 min after the last use: still alive
  EXPECT_TRUE(store.find(s.id));
  clock.advance(15min);
  EXPECT_FALSE(store.find(s.id));
  EXPECT_EQ(store.size(), 0u);
}

TEST(web_sessions, unknown_and_logged_out_ids_are_not_found) {
  manual_clock clock;
  session_store store(clock, 15min);
  const auto s = store.create("admin", access::admin);
  EXPECT_FALSE(store.find(""));
  EXPECT_FALSE(store.find(std::string(64, '0')));
  store.remove(s.id);
  EXPECT_FALSE(store.find(s.id));
}

TEST(web_sessions, a_shorter_idle_time_applies_to_live_sessions) {
  manual_clock clock;
  session_store store(clock, 15min);
  const auto s = store.create("admin", access::admin);
  clock.advance(2min);
  store.set_idle(1min);
  EXPECT_FALSE(store.find(s.id));
}

TEST(web_sessions, the_least_recently_used_gives_way_beyond_the_bound) {
  manual_clock clock;
  session_store store(clock, 15min, 2);
  const auto a = store.create("a", access::admin);
  clock.advance(1s);
  const auto b = store.create("b", access::admin);
  clock.advance(1s);
  ASSERT_TRUE(store.find(a.id));  // a is now the more recent
  clock.advance(1s);
  const auto c = store.create("c", access::admin);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_TRUE(store.find(a.id));
  EXPECT_FALSE(store.find(b.id));
  EXPECT_TRUE(store.find(c.id));
}

TEST(web_sessions, a_notice_is_handed_over_once) {
  manual_clock clock;
  session_store store(clock, 15min);
  const auto s = store.create("admin", access::admin);
  store.set_notice(s.id, "DA_VIP/DA1: drain now on this node");
  EXPECT_EQ(store.take_notice(s.id), "DA_VIP/DA1: drain now on this node");
  EXPECT_EQ(store.take_notice(s.id), "");
  EXPECT_EQ(store.take_notice("nope"), "");
}

TEST(web_sessions, tokens_compare_whole_and_never_empty) {
  const auto t = random_token();
  EXPECT_TRUE(tokens_equal(t, t));
  EXPECT_FALSE(tokens_equal(t, t.substr(0, 63)));
  EXPECT_FALSE(tokens_equal(t, random_token()));
  EXPECT_FALSE(tokens_equal("", ""));
}

}  // namespace
}  // namespace lbha::web
