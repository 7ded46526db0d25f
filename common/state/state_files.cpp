#include "common/state/state_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/atomic_file.hpp"

namespace lbha::state {

result<std::optional<std::string>> read_if_exists(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (ec) return error(errc::unreadable, path.string() + ": " + ec.message());
    return std::optional<std::string>{};
  }
  auto text = read_file(path);
  if (!text) return error(errc::unreadable, path.string() + ": " + text.error().message());
  return std::optional<std::string>(std::move(text).value());
}

result<std::optional<std::string>> read_secret_if_exists(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return error(errc::unreadable, path.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0)
    return error(errc::insecure_mode,
                 path.string() + ": must not be readable by group or others (chmod 600)");
  return read_if_exists(path);  // nullopt if removed meanwhile
}

result<void> write_state_file(const std::filesystem::path& path, std::string_view content,
                              mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return error(errc::unwritable, path.parent_path().string() + ": " + ec.message());
  auto written = write_file_atomically(path, content, mode);
  if (!written) return error(errc::unwritable, path.string() + ": " + written.error().message());
  return success();
}

error garbled(const std::filesystem::path& path, std::string_view what) {
  return error(errc::garbled, path.string() + ": " + std::string(what));
}

}  // namespace lbha::state
