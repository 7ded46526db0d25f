// Golden files: output compared byte for byte with a file checked in beside
// the test. Regenerate after an intended change with LBHA_UPDATE_GOLDEN=1
// (the test writes what it got), then review the git diff.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/atomic_file.hpp"

namespace lbha::test_support {

inline void expect_golden_in(const std::filesystem::path& dir, const std::string& name,
                             const std::string& actual) {
  const auto path = dir / name;
  if (std::getenv("LBHA_UPDATE_GOLDEN") != nullptr) {
    ASSERT_TRUE(write_file_atomically(path, actual).has_value());
  }
  auto expected = read_file(path);
  ASSERT_TRUE(expected.has_value()) << path;
  EXPECT_EQ(expected.value(), actual) << "golden " << path;
}

}  // namespace lbha::test_support
