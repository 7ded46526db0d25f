#include "common/supervisor.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/logging.hpp"

namespace lbha {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000 +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000;
}

}  // namespace

systemd_supervisor::systemd_supervisor() : socket_(env("NOTIFY_SOCKET")) {
  const auto usec = env("WATCHDOG_USEC");
  const auto pid = env("WATCHDOG_PID");
  // WATCHDOG_PID names the process the watchdog is meant for (not a child we forked).
  if (!usec.empty() && (pid.empty() || std::strtoll(pid.c_str(), nullptr, 10) == ::getpid()))
    watchdog_ = std::chrono::microseconds(std::strtoull(usec.c_str(), nullptr, 10));
  if (socket_.empty()) return;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0)
    get_logger("supervisor")->warn("NOTIFY_SOCKET {}: {}", socket_, std::strerror(errno));
}

systemd_supervisor::~systemd_supervisor() {
  if (fd_ >= 0) ::close(fd_);
}

bool systemd_supervisor::notify(std::string_view state) {
  if (fd_ < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  const auto sent = ::sendto(fd_, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), len);
  return sent == static_cast<ssize_t>(state.size());
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
