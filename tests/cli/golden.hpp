// Golden files for lbctl's output (tests/cli/golden/). Regenerate after an
// intended change: LBHA_UPDATE_GOLDEN=1 ./lbha_cli_tests, then review the git diff.
#pragma once

#include <filesystem>
#include <string>

#include "tests/support/build_tree.hpp"
#include "tests/support/golden.hpp"

namespace lbha::cli {

inline const std::filesystem::path golden_dir =
    lbha::test_support::in_build_tree(LBHA_SOURCE_DIR) / "tests" / "cli" / "golden";

inline void expect_golden(const std::string& name, const std::string& actual) {
  lbha::test_support::expect_golden_in(golden_dir, name, actual);
}

}  // namespace lbha::cli
