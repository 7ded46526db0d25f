// <run-dir>/proxyd.restarting: proxyd tells heartbeatd that it is restarting
// on purpose (it handed its connections to the next proxyd,
// proxy/handover.hpp) and for how long at most, so the gap between the two
// processes, where Proxy.Ready cannot answer, is not taken for a failed
// proxyd and the VIPs stay where they are. If no proxyd answers by the
// deadline, heartbeatd sees it as failed as before.
//
// The file holds a CLOCK_MONOTONIC deadline in milliseconds (the clock is the
// host's, shared by every process); empty means no restart. proxyd opens it
// as root at start (the run dir is root's) and keeps the descriptor to write
// it after dropping privileges.
#pragma once

#include <chrono>
#include <filesystem>

#include "common/result.hpp"

namespace lbha {

class restart_notice {
 public:
  restart_notice() = default;
  restart_notice(const restart_notice&) = delete;
  restart_notice& operator=(const restart_notice&) = delete;
  ~restart_notice();

  // Opens (creates, 0644) <run_dir>/proxyd.restarting. An announcement the
  // previous proxyd made stays until clear(): the new one clears it once it
  // answers on its socket.
  result<void> open(const std::filesystem::path& run_dir);
  // A restart is under way, for at most `bound` from now.
  void announce(std::chrono::milliseconds bound);
  // No restart (the new proxyd answers).
  void clear();

 private:
  int fd_ = -1;
};

std::filesystem::path restart_notice_path(const std::filesystem::path& run_dir);

// Whether a restart announced in <run_dir> is still within its bound at `now`.
bool restart_announced(
    const std::filesystem::path& run_dir,
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

}  // namespace lbha
