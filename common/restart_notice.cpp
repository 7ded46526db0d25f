#include "common/restart_notice.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

namespace lbha {

namespace {
std::int64_t to_ms(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

std::filesystem::path restart_notice_path(const std::filesystem::path& run_dir) {
  return run_dir / "proxyd.restarting";
}

restart_notice::~restart_notice() {
  if (fd_ >= 0) ::close(fd_);
}

result<void> restart_notice::open(const std::filesystem::path& run_dir) {
  const auto path = restart_notice_path(run_dir);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) return errno_error(errno, "open " + path.string());
  return success();
}

void restart_notice::announce(std::chrono::milliseconds bound) {
  if (fd_ < 0) return;
  const auto text = std::to_string(to_ms(std::chrono::steady_clock::now() + bound)) + "\n";
  if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, text.data(), text.size(), 0);
}

void restart_notice::clear() {
  if (fd_ >= 0) (void)!::ftruncate(fd_, 0);
}

bool restart_announced(const std::filesystem::path& run_dir,
                       std::chrono::steady_clock::time_point now) {
  const int fd = ::open(restart_notice_path(run_dir).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return false;
  char text[32];
  const ssize_t n = ::pread(fd, text, sizeof text, 0);
  ::close(fd);
  if (n <= 0) return false;
  std::int64_t deadline = 0;
  const auto parsed = std::from_chars(text, text + n, deadline);
  return parsed.ec == std::errc() && to_ms(now) < deadline;
}

}  // namespace lbha
