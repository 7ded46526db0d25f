#include "common/atomic_file.hpp"

#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace lbha {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

// Writes all of `content` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const std::filesystem::path tmp =
      path.string() + ".tmp." + std::to_string(static_cast<long>(::getpid()));

  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return last_error();
  // open() honours the umask; the caller's mode (e.g. 0600 for keys) must hold exactly.
  if (::fchmod(fd, mode) != 0 || !write_all(fd, content) || ::fsync(fd) != 0) {
    auto ec = last_error();
    ::close(fd);
    ::unlink(tmp.c_str());
    return ec;
  }
  if (::close(fd) != 0) {
    auto ec = last_error();
    ::unlink(tmp.c_str());
    return ec;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto ec = last_error();
    ::unlink(tmp.c_str());
    return ec;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return last_error();
  int rc = ::fsync(dfd);
  auto ec = last_error();
  ::close(dfd);
  if (rc != 0) return ec;
  return success();
}

result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::error_code(errno ? errno : ENOENT, std::generic_category());
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return std::error_code(EIO, std::generic_category());
  return buf.str();
}

}  // namespace lbha
