// Golden files for lbctl's output (tests/cli/golden/). Regenerate after an
// intended change: LBHA_UPDATE_GOLDEN=1 ./lbha_cli_tests, then review the git diff.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/atomic_file.hpp"
#include "tests/support/build_tree.hpp"

namespace lbha::cli {

inline const std::filesystem::path golden_dir =
    lbha::test_support::in_build_tree(LBHA_SOURCE_DIR) / "tests" / "cli" / "golden";

inline void expect_golden(const std::string& name, const std::string& actual) {
  const auto path = golden_dir / name;
  if (std::getenv("LBHA_UPDATE_GOLDEN") != nullptr) {
    ASSERT_TRUE(write_file_atomically(path, actual).has_value());
  }
  auto expected = read_file(path);
  ASSERT_TRUE(expected.has_value()) << path;
  EXPECT_EQ(expected.value(), actual) << "golden " << path;
}

}  // namespace lbha::cli
