// What the process supervisor (systemd) is told about a daemon's life.
//
// systemd's notify protocol: READY=1 once the daemon serves, RELOADING=1 and
// READY=1 around a reload (STATUS= says why when it was refused), STOPPING=1
// when it starts to stop, WATCHDOG=1 every WatchdogSec/2 while the daemon's io
// thread runs and its component says its other threads are alive. The
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

// systemd through libsystemd: sd_notify(3) to $NOTIFY_SOCKET, the watchdog
// interval from sd_watchdog_enabled(3) (WATCHDOG_USEC, for this process only
// when WATCHDOG_PID names another). Without $NOTIFY_SOCKET (started by hand,
// or by a test) every call does nothing. Any thread.
class systemd_supervisor final : public supervisor {
 public:
  systemd_supervisor();

  void ready(std::string_view status) override;
  void reloading() override;
  void stopping() override;
  void watchdog() override;
  std::chrono::microseconds watchdog_interval() const override { return watchdog_; }

  // Sends one state string ("READY=1\nSTATUS=..."); false when it was not sent.
  bool notify(std::string_view state);

 private:
  std::chrono::microseconds watchdog_{0};
};

}  // namespace lbha
