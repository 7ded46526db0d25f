// Running a built daemon's --check on a scratch directory's node.yaml
// (scratch_dir.hpp), as a unit's ExecReload does, and what it said.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "tests/support/build_tree.hpp"
#include "tests/support/scratch_dir.hpp"

namespace lbha::test_support {

struct check_result {
  int status = -1;  // the exit code, -1 when killed
  std::string out;
  std::string err;
};

// `<binary> --check --node-config <dir>/node.yaml`, as a unit's ExecReload runs it.
inline check_result run_check(const char* binary, const std::filesystem::path& dir) {
  // A stream, not operator+: g++ 12 -O2 warns (-Warray-bounds) on that chain.
  std::ostringstream command;
  command << in_build_tree(binary).string() << " --check --node-config "
          << (dir / "node.yaml").string() << " >" << (dir / "out").string() << " 2>"
          << (dir / "err").string();
  check_result r;
  const int status = std::system(command.str().c_str());
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_text(dir / "out");
  r.err = read_text(dir / "err");
  return r;
}

}  // namespace lbha::test_support
