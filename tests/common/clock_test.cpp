#include "common/clock.hpp"

#include <gtest/gtest.h>

namespace lbha {
namespace {

using namespace std::chrono_literals;

TEST(manual_clock, moves_only_when_told) {
  manual_clock c;
  auto t0 = c.now();
  EXPECT_EQ(c.now(), t0);
  c.advance(150ms);
  EXPECT_EQ(c.now() - t0, 150ms);
}

TEST(steady_clock, is_monotonic) {
  steady_clock c;
  auto a = c.now();
  auto b = c.now();
  EXPECT_LE(a, b);
}

}  // namespace
}  // namespace lbha
