// Where a stopping proxyd leaves descriptors for the next one, and where the
// next one finds them: systemd's file descriptor store. The stopping process
// sends them to the service manager (sd_pid_notify_with_fds, "FDSTORE=1",
// allowed by FileDescriptorStoreMax= in the unit); systemd keeps them across
// `systemctl restart` and passes them to the next start (LISTEN_FDS,
// LISTEN_FDNAMES). Listening sockets kept there go on queueing connections
// while no proxyd runs, and open connections just wait.
//
// fd_store is the seam: systemd_fd_store is the real one, tests keep the
// descriptors in memory (tests/proxy/handover_test.cpp).
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace lbha::proxy {

class fd_store {
 public:
  virtual ~fd_store() = default;
  // Hands copies of `fds` to the store under `name`; the caller still owns
  // (and closes) its own.
  virtual result<void> keep(const std::string& name, std::span<const int> fds) = 0;
  // Drops what the store keeps under `name`. The next start must, once it
  // has taken the descriptors over: systemd keeps its copies for the life
  // of the unit, and a session socket it still held would not close (no FIN
  // to the client) when proxyd closes its own.
  virtual void forget(const std::string& name) = 0;
};

class systemd_fd_store final : public fd_store {
 public:
  // Whether this process runs under a service manager that can take them
  // ($NOTIFY_SOCKET set).
  static bool available();
  result<void> keep(const std::string& name, std::span<const int> fds) override;
  void forget(const std::string& name) override;
};

// Descriptors with their names, as a start inherits them.
using named_fds = std::vector<std::pair<std::string, int>>;

// The descriptors systemd passed to this start (none outside systemd), made
// close-on-exec; the LISTEN_* variables are cleared. Owned by the caller.
named_fds take_inherited_fds();

}  // namespace lbha::proxy
