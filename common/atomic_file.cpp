#include "common/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

namespace lbha {

namespace {

constexpr std::string_view temp_marker = ".tmp.";
constexpr std::size_t random_hex_digits = 16;
// EEXIST on a 64-bit random name means someone planted it; a few tries
// outlast any honest collision.
constexpr int create_attempts = 8;

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

std::string random_hex() {
  unsigned char bytes[random_hex_digits / 2];
  std::size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = ::getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::abort();  // getrandom cannot fail once the kernel pool is ready
    }
    got += static_cast<std::size_t>(n);
  }
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

class fd_closer {
 public:
  explicit fd_closer(int fd) : fd_(fd) {}
  ~fd_closer() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_closer(const fd_closer&) = delete;
  fd_closer& operator=(const fd_closer&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

bool is_atomic_temp_name(std::string_view name) {
  // .<name>.tmp.<16 lowercase hex>
  const std::size_t tail = temp_marker.size() + random_hex_digits;
  if (name.size() < 1 + 1 + tail || name.front() != '.') return false;
  if (name.substr(name.size() - tail, temp_marker.size()) != temp_marker) return false;
  for (char c : name.substr(name.size() - random_hex_digits)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode) {
  return detail::write_file_atomically(path, content, mode, random_hex);
}

result<void> detail::write_file_atomically(const std::filesystem::path& path,
                                           std::string_view content, mode_t mode,
                                           const std::function<std::string()>& next_suffix) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const std::string name = path.filename().string();
  // Everything happens relative to one open directory, so the temp and the
  // rename are in the same place even if the path is swapped meanwhile.
  fd_closer dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() < 0) return last_error();

  std::string tmp;
  int fd = -1;
  for (int attempt = 0; attempt < create_attempts && fd < 0; ++attempt) {
    tmp = "." + name + std::string(temp_marker) + next_suffix();
    fd = ::openat(dfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  mode);
    if (fd < 0 && errno != EEXIST) return last_error();
  }
  if (fd < 0) return last_error();
  auto discard = [&] { ::unlinkat(dfd.get(), tmp.c_str(), 0); };
  // open() honours the umask; the caller's mode (e.g. 0600 for keys) must hold exactly.
  if (::fchmod(fd, mode) != 0 || !write_all(fd, content) || ::fsync(fd) != 0) {
    auto ec = last_error();
    ::close(fd);
    discard();
    return ec;
  }
  if (::close(fd) != 0) {
    auto ec = last_error();
    discard();
    return ec;
  }
  if (::renameat(dfd.get(), tmp.c_str(), dfd.get(), name.c_str()) != 0) {
    auto ec = last_error();
    discard();
    return ec;
  }
  if (::fsync(dfd.get()) != 0) return last_error();
  return success();
}

result<int> remove_stale_temps(const std::filesystem::path& dir, std::chrono::seconds min_age) {
  // File times are wall-clock times, so this one comparison uses the wall clock.
  const auto newest = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) -
                      static_cast<std::time_t>(min_age.count());
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return errno_error(errno, "open " + dir.string());
  DIR* d = ::fdopendir(dfd);
  if (d == nullptr) {
    auto e = errno;
    ::close(dfd);
    return errno_error(e, "read " + dir.string());
  }
  int removed = 0;
  while (auto* entry = ::readdir(d)) {
    if (!is_atomic_temp_name(entry->d_name)) continue;
    struct stat st {};
    if (::fstatat(dfd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        st.st_mtime > newest)
      continue;
    // unlinkat removes the name itself: were it swapped for a symlink since
    // the fstatat, the link would go, never its target.
    if (::unlinkat(dfd, entry->d_name, 0) == 0) ++removed;
  }
  ::closedir(d);  // closes dfd
  return removed;
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
