#include "proxy/health_state.hpp"

#include <gtest/gtest.h>

namespace lbha::proxy {
namespace {

TEST(health_state, new_server_goes_down_on_first_failure) {
  health_state h(2, 3);
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.record(false));
  EXPECT_FALSE(h.up());
}

TEST(health_state, needs_rise_passes_to_come_up) {
  health_state h(2, 3);
  h.record(false);
  EXPECT_FALSE(h.record(true));
  EXPECT_FALSE(h.up());
  EXPECT_TRUE(h.record(true));
  EXPECT_TRUE(h.up());
}

TEST(health_state, confirmed_server_needs_fall_failures_to_go_down) {
  health_state h(2, 3);
  h.record(false);
  h.record(true);
  h.record(true);
  ASSERT_TRUE(h.up());
  EXPECT_FALSE(h.record(false));
  EXPECT_FALSE(h.record(false));
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.record(false));
  EXPECT_FALSE(h.up());
}

TEST(health_state, each_result_moves_the_counter_one_step) {
  health_state h(2, 3);
  h.record(false);
  h.record(true);
  h.record(true);  // confirmed up: counter at the top (4)
  h.record(false);
  h.record(false);
  h.record(true);  // back to 3: two failures from going down
  h.record(false);
  EXPECT_TRUE(h.up());
  EXPECT_TRUE(h.record(false));
  EXPECT_FALSE(h.up());
}

TEST(health_state, rise_and_fall_of_one_flip_every_time) {
  health_state h(1, 1);
  EXPECT_TRUE(h.record(false));
  EXPECT_TRUE(h.record(true));
  EXPECT_TRUE(h.record(false));
  EXPECT_FALSE(h.up());
}

}  // namespace
}  // namespace lbha::proxy
