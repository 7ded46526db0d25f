#include "tests/lab/naming.hpp"

#include <gtest/gtest.h>

namespace lbha::lab {
namespace {

TEST(run_name, formats_owner_kind_and_counter) {
  EXPECT_EQ((run_name{1234, 2, false}).prefix(), "lbha1234x2");
  EXPECT_EQ((run_name{99, 1, true}).prefix(), "lbha99k1");
}

TEST(run_name, parses_the_labs_namespace_names) {
  const auto n = run_name::parse("lbha1234x2-lb1");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->owner, 1234);
  EXPECT_EQ(n->counter, 2u);
  EXPECT_FALSE(n->kept);
  EXPECT_TRUE(run_name::parse("lbha7k3-switch")->kept);
  EXPECT_EQ(run_name::parse("lbha7k3-client1")->prefix(), "lbha7k3");
}

TEST(run_name, ignores_other_namespaces) {
  for (const char* other : {"", "lbha", "lbha-lb1", "lbhax1-lb1", "lbha12x-lb1", "lbha12y3-lb1",
                            "lbha12x3", "blue", "lbha1a2x3-lb1"}) {
    EXPECT_FALSE(run_name::parse(other).has_value()) << other;
  }
}

}  // namespace
}  // namespace lbha::lab
