// Per-run names, and the cleaner for runs whose owner is gone.
//
// Every namespace of a run is called `<prefix>-<node>` with the prefix
// `lbha<pid>x<n>` (owned by process <pid>, its n-th lab) or `lbha<pid>k<n>`
// (a kept run made by `lbha-lab up`, which outlives the process that made
// it). Two labs, in one process or in two, never share a name, so concurrent
// test binaries do not collide. A test that was killed (ctest timeout,
// SIGKILL) cannot tear down; the next lab removes its namespaces because the
// owner pid no longer exists. Kept runs are removed only by `lbha-lab down`
// or `lbha-lab cleanup --all`.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace lbha::lab {

struct run_name {
  pid_t owner = 0;
  unsigned counter = 0;
  bool kept = false;

  std::string prefix() const;  // "lbha1234x1"
  // The prefix of a namespace name ("lbha1234x1-lb1"), nullopt if it is not the lab's.
  static std::optional<run_name> parse(std::string_view netns);
};

// A fresh name for this process's next lab, unused by any existing namespace.
run_name next_run_name(bool kept);

// Names of all network namespaces (`ip netns list`).
std::vector<std::string> list_netns();

// The lab's namespaces with this prefix.
std::vector<std::string> run_namespaces(const std::string& prefix);

// Kills every process in the run's namespaces (SIGKILL) and deletes them.
// Returns false (with the reason on `log`) if one could not be deleted.
bool destroy_run(const std::string& prefix, std::ostream* log = nullptr);

struct cleanup_options {
  bool include_kept = false;         // also kept runs (`lbha-lab cleanup --all`)
  bool include_live = false;         // also runs whose owner is alive (only with --all)
  std::filesystem::path base_dir{};  // non-empty: also remove <base_dir>/<prefix>
};

// Destroys stale runs; returns the prefixes it removed.
std::vector<std::string> cleanup_stale(const cleanup_options& options, std::ostream* log = nullptr);

}  // namespace lbha::lab
