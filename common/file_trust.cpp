#include "common/file_trust.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

namespace lbha {

namespace {

std::string octal(mode_t mode) {
  std::ostringstream out;
  out << '0' << std::oct << (mode & 07777);
  return out.str();
}

// One path component: `path` is the file itself or a directory above it.
result<void> check_one(const std::filesystem::path& path, bool is_dir, std::string_view what,
                       const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno_error(errno, std::string(what) + " " + path.string());
  const std::string subject = is_dir ? "directory " + path.string() + " (holding " +
                                           std::string(what) + " " + file.string() + ")"
                                     : std::string(what) + " " + path.string();
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return error(std::errc::permission_denied,
                 subject + " is owned by uid " + std::to_string(st.st_uid) +
                     ", not root, so that user could run code as root; fix: chown root " +
                     path.string());
  }
  const bool sticky_dir = is_dir && (st.st_mode & S_ISVTX) != 0;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !sticky_dir) {
    return error(std::errc::permission_denied,
                 subject + " is group- or world-writable (mode " + octal(st.st_mode) +
                     "), so others could run code as root; fix: chmod go-w " + path.string());
  }
  return success();
}

result<void> check_path(const std::filesystem::path& path, std::string_view what,
                        const std::filesystem::path& file) {
  if (auto r = check_one(path, false, what, file); !r) return r;
  for (auto dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (auto r = check_one(dir, true, what, file); !r) return r;
    if (dir == dir.root_path()) break;
  }
  return success();
}

}  // namespace

result<void> check_trusted_file(const std::filesystem::path& path, std::string_view what) {
  std::error_code ec;
  const auto given = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) return error(ec, std::string(what) + " " + path.string());
  if (auto r = check_path(given, what, given); !r) return r;
  const auto resolved = std::filesystem::canonical(given, ec);
  if (ec) return error(ec, std::string(what) + " " + path.string());
  if (resolved != given) return check_path(resolved, what, given);
  return success();
}

}  // namespace lbha
