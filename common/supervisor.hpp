// What the process supervisor (systemd) is told about a daemon's life.
//
// systemd's notify protocol: READY=1 once the daemon serves, RELOADING=1 and
// READY=1 around a reload, STOPPING=1 when it starts to stop, WATCHDOG=1 at
// least every WatchdogSec/2 while the daemon's io thread is alive. The
// runtime (daemon_runtime) makes every call; a daemon never does. Tests use
// a recording double.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace lbha {

class supervisor {
 public:
  virtual ~supervisor() = default;

  virtual void ready(std::string_view status) = 0;
  virtual void reloading() = 0;
  virtual void stopping() = 0;
  virtual void watchdog() = 0;
  // How often watchdog() must be called; zero when no watchdog is armed.
  virtual std::chrono::microseconds watchdog_interval() const = 0;
};

// sd_notify without libsystemd: one datagram per call to the AF_UNIX socket
// named by $NOTIFY_SOCKET (an abstract one when it starts with '@'). Without
// $NOTIFY_SOCKET (started by hand, or by a test) every call does nothing.
class systemd_supervisor final : public supervisor {
 public:
  systemd_supervisor();  // reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
  ~systemd_supervisor() override;
  systemd_supervisor(const systemd_supervisor&) = delete;
  systemd_supervisor& operator=(const systemd_supervisor&) = delete;

  void ready(std::string_view status) override;
  void reloading() override;
  void stopping() override;
  void watchdog() override;
  std::chrono::microseconds watchdog_interval() const override { return watchdog_; }

  // Sends one state string ("READY=1\nSTATUS=..."); false when it could not be sent.
  bool notify(std::string_view state);

 private:
  std::string socket_;  // empty: not supervised
  int fd_ = -1;
  std::chrono::microseconds watchdog_{0};
};

}  // namespace lbha
