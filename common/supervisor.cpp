#include "common/supervisor.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstring>
#include <string>

#include "common/logging.hpp"

namespace lbha {

namespace {

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

systemd_supervisor::systemd_supervisor() {
  std::uint64_t usec = 0;
  // > 0: armed for this process (a WATCHDOG_PID naming another one says no).
  if (::sd_watchdog_enabled(0, &usec) > 0) watchdog_ = std::chrono::microseconds(usec);
}

bool systemd_supervisor::notify(std::string_view state) {
  // The environment is kept (unset_environment 0): every later call needs NOTIFY_SOCKET.
  const std::string text(state);
  const int sent = ::sd_notify(0, text.c_str());
  if (sent < 0)
    get_logger("supervisor")->warn("sd_notify {}: {}", text.substr(0, text.find('\n')),
                                   std::strerror(-sent));
  return sent > 0;
}

void systemd_supervisor::ready(std::string_view status) {
  notify("READY=1\nSTATUS=" + std::string(status));
}

void systemd_supervisor::reloading() {
  // Type=notify-reload (systemd 253+) wants the monotonic time with RELOADING=1.
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}

void systemd_supervisor::stopping() { notify("STOPPING=1"); }

void systemd_supervisor::watchdog() { notify("WATCHDOG=1"); }

}  // namespace lbha
