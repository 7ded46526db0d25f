#include "proxy/fd_store.hpp"

#include <fcntl.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <system_error>

namespace lbha::proxy {

namespace {
// SCM_MAX_FD: the kernel's limit on descriptors in one message.
constexpr std::size_t per_message = 250;
}  // namespace

bool systemd_fd_store::available() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return socket && *socket;
}

result<void> systemd_fd_store::keep(const std::string& name, std::span<const int> fds) {
  const std::string message = "FDSTORE=1\nFDNAME=" + name;
  for (std::size_t at = 0; at < fds.size(); at += per_message) {
    const auto n = std::min(per_message, fds.size() - at);
    const int r =
        ::sd_pid_notify_with_fds(0, 0, message.c_str(), fds.data() + at, static_cast<unsigned>(n));
    if (r < 0) {
      return error(
          std::error_code(-r, std::system_category()),
          "cannot hand descriptors to systemd (FDSTORE): " + std::string(std::strerror(-r)));
    }
    if (r == 0) return error(std::errc::not_supported, "no service manager to hand descriptors to");
  }
  return success();
}

void systemd_fd_store::forget(const std::string& name) {
  ::sd_notify(0, ("FDSTOREREMOVE=1\nFDNAME=" + name).c_str());
}

named_fds take_inherited_fds() {
  char** names = nullptr;
  const int n = ::sd_listen_fds_with_names(1, &names);
  named_fds out;
  for (int i = 0; i < n; ++i) {
    const int fd = SD_LISTEN_FDS_START + i;
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    out.emplace_back(names && names[i] ? names[i] : "", fd);
  }
  if (names) {
    for (int i = 0; i < n; ++i) std::free(names[i]);
    std::free(names);
  }
  return out;
}

}  // namespace lbha::proxy
