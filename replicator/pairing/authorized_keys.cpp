#include "replicator/pairing/authorized_keys.hpp"

#include <arpa/inet.h>
#include <pwd.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "common/atomic_file.hpp"

namespace lbha::pairing {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += line + "\n";
  return out;
}

// The "<type> <base64>" part of a public key, without its comment.
std::string key_blob(const std::string& public_key) {
  std::istringstream in(public_key);
  std::string type, blob;
  in >> type >> blob;
  return type + " " + blob;
}

bool line_has_marker(const std::string& line, const std::string& cluster_id) {
  const std::string marker = std::string(authorized_key_marker) + cluster_id;
  auto pos = line.rfind(' ');
  if (pos == std::string::npos) return false;
  return line.compare(pos + 1, marker.size(), marker) == 0;
}

bool line_has_key(const std::string& line, const std::string& public_key) {
  if (public_key.empty()) return false;
  auto blob = key_blob(public_key);
  return line.find(" " + blob) != std::string::npos || line.rfind(blob, 0) == 0;
}

bool is_ip_literal(const std::string& address) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, address.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, address.c_str(), buffer) == 1;
}

}  // namespace

result<std::string> forced_key_line(const std::string& forced_command,
                                    const std::string& public_key, const std::string& cluster_id,
                                    const std::string& primary_name,
                                    const std::vector<std::string>& from) {
  if (forced_command.find_first_of("\"\\\n\r") != std::string::npos) {
    return error(
        errc::refused,
        "forced command must not contain quotes, backslashes or newlines: " + forced_command);
  }
  auto blob = key_blob(public_key);
  if (blob.rfind("ssh-ed25519 ", 0) != 0 || blob.size() < 20 ||
      public_key.find_first_of("\"\n\r") != std::string::npos) {
    return error(errc::refused, "not an ssh-ed25519 public key");
  }
  for (const auto& part : {cluster_id, primary_name}) {
    if (part.empty() || part.find_first_of(" \t\"\n\r:") != std::string::npos) {
      return error(errc::refused,
                   "cluster id and node name must be non-empty without spaces or colons");
    }
  }
  std::string sources;
  for (const auto& address : from) {
    if (!is_ip_literal(address)) {
      return error(errc::refused, "not an IP address for from=: '" + address + "'");
    }
    if (("," + sources + ",").find("," + address + ",") != std::string::npos) continue;
    sources += (sources.empty() ? "" : ",") + address;
  }
  std::string options = "restrict,command=\"" + forced_command + "\"";
  if (!sources.empty()) options += ",from=\"" + sources + "\"";
  return options + " " + blob + " " + authorized_key_marker + cluster_id + ":" + primary_name;
}

std::string remove_lbha_lines(const std::string& text, const std::string& cluster_id,
                              const std::string& public_key) {
  std::vector<std::string> kept;
  for (auto& line : split_lines(text)) {
    if (line_has_marker(line, cluster_id) || line_has_key(line, public_key)) continue;
    kept.push_back(std::move(line));
  }
  return join_lines(kept);
}

std::string add_line(const std::string& text, const std::string& line,
                     const std::string& public_key) {
  std::vector<std::string> kept;
  for (auto& existing : split_lines(text)) {
    if (line_has_key(existing, public_key)) continue;
    kept.push_back(std::move(existing));
  }
  kept.push_back(line);
  return join_lines(kept);
}

namespace {

// The calling thread's file system identity is `owner` while this lives.
// Switching fsuid away from 0 also drops CAP_DAC_OVERRIDE and the other file
// capabilities from this thread (capabilities(7)), so files are opened, read
// and created exactly as the login user would.
class file_identity {
 public:
  explicit file_identity(const std::optional<key_file_owner>& owner) : owner_(owner) {
    if (!owner_) return;
    ::setfsgid(owner_->gid);
    ::setfsuid(owner_->uid);
  }
  ~file_identity() {
    if (!owner_) return;
    ::setfsuid(::geteuid());
    ::setfsgid(::getegid());
  }
  file_identity(const file_identity&) = delete;
  file_identity& operator=(const file_identity&) = delete;

  // setfsuid reports the previous value, so asking again confirms the switch.
  bool switched() const {
    if (!owner_) return true;
    return static_cast<uid_t>(::setfsuid(owner_->uid)) == owner_->uid &&
           static_cast<gid_t>(::setfsgid(owner_->gid)) == owner_->gid;
  }

 private:
  std::optional<key_file_owner> owner_;
};

result<std::string> read_or_empty(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return std::string();
  auto content = read_file(file);
  if (!content)
    return error(errc::io, "cannot read " + file.string() + ": " + content.error().message());
  return std::move(content).value();
}

result<void> write_keys(const std::filesystem::path& file, const std::string& text) {
  const auto dir = file.parent_path();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return error(errc::io, "cannot create " + dir.string() + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  auto written = write_file_atomically(file, text, 0600);
  if (!written)
    return error(errc::io, "cannot write " + file.string() + ": " + written.error().message());
  return success();
}

}  // namespace

std::optional<key_file_owner> key_file_owner_of(const std::string& user) {
  if (::geteuid() != 0 || user.empty()) return std::nullopt;
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr || pw->pw_uid == 0) return std::nullopt;
  return key_file_owner{pw->pw_uid, pw->pw_gid};
}

result<void> install_authorized_key(const std::filesystem::path& file, const std::string& line,
                                    const std::string& public_key,
                                    const std::optional<key_file_owner>& owner) {
  file_identity as(owner);
  if (!as.switched()) return error(errc::io, "cannot take the login user's identity for " + file.string());
  auto current = read_or_empty(file);
  if (!current) return current.error();
  return write_keys(file, add_line(current.value(), line, public_key));
}

result<int> remove_authorized_keys(const std::filesystem::path& file,
                                   const std::string& cluster_id,
                                   const std::optional<key_file_owner>& owner) {
  file_identity as(owner);
  if (!as.switched()) return error(errc::io, "cannot take the login user's identity for " + file.string());
  auto current = read_or_empty(file);
  if (!current) return current.error();
  auto kept = remove_lbha_lines(current.value(), cluster_id);
  int removed = static_cast<int>(split_lines(current.value()).size() - split_lines(kept).size());
  if (removed == 0) return 0;
  auto written = write_keys(file, kept);
  if (!written) return written.error();
  return removed;
}

std::filesystem::path default_authorized_keys_path(const std::string& user) {
  const passwd* pw = user.empty() ? nullptr : ::getpwnam(user.c_str());
  if (pw == nullptr) pw = ::getpwuid(::getuid());
  std::filesystem::path home = pw && pw->pw_dir ? pw->pw_dir : "/root";
  return home / ".ssh" / "authorized_keys";
}

}  // namespace lbha::pairing
