// <state-dir>/history/: every cluster config this node committed (primary) or
// accepted (secondary), so an operator can list, show and roll back to one.
//
// One file per generation, `<generation, 20 digits>.yaml`, written atomically
// (common/atomic_file): a first line
//   # lbha-history origin=<word> at=<UTC time> summary=<one line>
// then the config exactly as cluster.yaml holds it (generation and term
// included). At most `limit` files are kept; recording one more removes the
// oldest generations. A generation recorded again (a config of a higher term
// replacing a stale one after a take-over) replaces the earlier file.
//
// Reading never fails as a whole: an entry that cannot be read or parsed is
// skipped and named in `problems`, so one corrupt file costs only itself.
// Not thread-safe: replicatord's worker thread and the receiver (under
// receive.lock) are its writers, one at a time per node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lbha/v1/config.pb.h"
#include "replicator/pairing/errc.hpp"

namespace lbha::pairing {

struct history_entry {
  std::uint64_t generation = 0;
  std::uint64_t term = 0;
  std::string origin;   // "commit", "rollback", "take-over", "reload", "restore", "pushed by lb1"
  std::string at;       // UTC, ISO 8601
  std::string summary;  // e.g. "+ DA_VIP; - OLD_VIP; 2 services changed"
  std::filesystem::path file;
};

// What changed between two configs, in one short line (services by label).
std::string summarize_change(const lbha::v1::ClusterConfig& before,
                             const lbha::v1::ClusterConfig& after);

class config_history {
 public:
  static constexpr std::size_t default_limit = 50;

  explicit config_history(std::filesystem::path dir, std::size_t limit = default_limit);

  // <state_dir>/history
  static std::filesystem::path dir_in(const std::filesystem::path& state_dir);

  // Writes `config` as its generation's entry, then prunes to `limit`.
  result<history_entry> record(const lbha::v1::ClusterConfig& config, const std::string& origin,
                               const std::string& summary, const std::string& at);

  struct listing {
    std::vector<history_entry> entries;  // oldest first
    std::vector<std::string> problems;   // one line per entry skipped
  };
  listing list() const;

  // The config of `generation`; errc::refused naming what is kept when there is none.
  result<lbha::v1::ClusterConfig> load(std::uint64_t generation) const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path file_for(std::uint64_t generation) const;
  result<history_entry> read_entry(const std::filesystem::path& file,
                                   lbha::v1::ClusterConfig* config) const;

  std::filesystem::path dir_;
  std::size_t limit_;
};

// Records `config` in <state_dir>/history with the current UTC time; a
// failure is logged as a warning and never stops the commit it follows.
void note_in_history(const std::filesystem::path& state_dir, const lbha::v1::ClusterConfig& config,
                     const std::string& origin, const std::string& summary);

}  // namespace lbha::pairing
