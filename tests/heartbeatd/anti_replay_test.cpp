#include "heartbeatd/anti_replay.hpp"

#include <gtest/gtest.h>

namespace lbha::heartbeat {
namespace {

constexpr std::uint64_t now = 1'700'000'000'000;

message from(std::uint32_t node, std::uint64_t seq, std::uint64_t ts = now) {
  message m;
  m.node_id = node;
  m.sequence = seq;
  m.timestamp_ms = ts;
  return m;
}

std::error_code error_of(result<void> r) { return r ? std::error_code{} : r.error().code(); }

TEST(anti_replay, accepts_increasing_sequences) {
  anti_replay f;
  for (std::uint64_t s = 100; s < 200; ++s) EXPECT_TRUE(f.check(from(1, s), now + s));
}

TEST(anti_replay, rejects_a_repeated_sequence) {
  anti_replay f;
  ASSERT_TRUE(f.check(from(1, 100), now));
  EXPECT_EQ(error_of(f.check(from(1, 100), now)), errc::replayed);
}

TEST(anti_replay, accepts_reordering_within_the_window_once) {
  anti_replay f;
  ASSERT_TRUE(f.check(from(1, 110), now));
  EXPECT_TRUE(f.check(from(1, 105), now));
  EXPECT_EQ(error_of(f.check(from(1, 105), now)), errc::replayed);
  EXPECT_TRUE(f.check(from(1, 111), now));
  EXPECT_TRUE(f.check(from(1, 109), now));
}

TEST(anti_replay, rejects_sequences_below_the_bitmap) {
  anti_replay f;
  ASSERT_TRUE(f.check(from(1, 1000), now));
  EXPECT_EQ(error_of(f.check(from(1, 1000 - 64), now)), errc::replayed);
  EXPECT_TRUE(f.check(from(1, 1000 - 63), now));
}

TEST(anti_replay, rejects_stale_and_future_timestamps) {
  anti_replay f(std::chrono::milliseconds(5000));
  EXPECT_EQ(error_of(f.check(from(1, 1, now - 5001), now)), errc::stale);
  EXPECT_EQ(error_of(f.check(from(1, 2, now + 5001), now)), errc::stale);
  EXPECT_TRUE(f.check(from(1, 3, now - 5000), now));
}

TEST(anti_replay, keeps_senders_apart) {
  anti_replay f;
  ASSERT_TRUE(f.check(from(1, 500), now));
  EXPECT_TRUE(f.check(from(2, 500), now));
  EXPECT_EQ(error_of(f.check(from(2, 500), now)), errc::replayed);
}

TEST(anti_replay, a_restarted_sender_continues_above_its_old_sequences) {
  anti_replay f;
  const std::uint64_t first_start_us = now * 1000;
  ASSERT_TRUE(f.check(from(1, initial_sequence(first_start_us) + 50), now));
  // Restarted 2 s later: its first sequence is its new start time in microseconds.
  EXPECT_TRUE(f.check(from(1, initial_sequence((now + 2000) * 1000), now + 2000), now + 2000));
}

TEST(anti_replay, forgets_a_sender_silent_for_longer_than_the_window) {
  anti_replay f(std::chrono::milliseconds(5000));
  ASSERT_TRUE(f.check(from(1, 900), now));
  // Same sequence again within the window: a replay.
  EXPECT_EQ(error_of(f.check(from(1, 900, now + 4000), now + 4000)), errc::replayed);
  // The sender's clock stepped back before a restart: lower sequence, fresh timestamp, and
  // nothing accepted from it for longer than the window.
  EXPECT_TRUE(f.check(from(1, 10, now + 9100), now + 9100));
}

// Found by fuzz/heartbeat_fuzz: a packet stamped ahead of our clock (the
// sender's clock runs fast, within the window) stays fresh for longer than the
// window after we accept it, so the sender must be remembered that long too.
TEST(anti_replay, remembers_a_sender_until_its_packets_from_the_future_are_stale) {
  anti_replay f(std::chrono::milliseconds(30'000));
  const message ahead = from(1, 700, now + 20'000);
  ASSERT_TRUE(f.check(ahead, now));
  // The sender falls silent; 31 s later its captured packet is only 11 s old.
  EXPECT_EQ(error_of(f.check(ahead, now + 31'000)), errc::replayed);
  EXPECT_EQ(error_of(f.check(ahead, now + 50'000)), errc::replayed);
  // Once it is stale, the sender is forgotten: a restart with its clock stepped back is accepted.
  EXPECT_EQ(error_of(f.check(ahead, now + 50'001)), errc::stale);
  EXPECT_TRUE(f.check(from(1, 10, now + 50'001), now + 50'001));
}

}  // namespace
}  // namespace lbha::heartbeat
