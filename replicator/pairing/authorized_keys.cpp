#include "replicator/pairing/authorized_keys.hpp"

#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
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

}  // namespace

result<std::string> forced_key_line(const std::string& forced_command,
                                    const std::string& public_key, const std::string& cluster_id,
                                    const std::string& primary_name) {
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
  return std::string(
      "command=\"" + forced_command +
      "\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc " + blob +
      " " + authorized_key_marker + cluster_id + ":" + primary_name);
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

result<void> install_authorized_key(const std::filesystem::path& file, const std::string& line,
                                    const std::string& public_key) {
  auto current = read_or_empty(file);
  if (!current) return current.error();
  return write_keys(file, add_line(current.value(), line, public_key));
}

result<int> remove_authorized_keys(const std::filesystem::path& file,
                                   const std::string& cluster_id) {
  auto current = read_or_empty(file);
  if (!current) return current.error();
  auto kept = remove_lbha_lines(current.value(), cluster_id);
  int removed = static_cast<int>(split_lines(current.value()).size() - split_lines(kept).size());
  if (removed == 0) return 0;
  auto written = write_keys(file, kept);
  if (!written) return written.error();
  return removed;
}

std::filesystem::path default_authorized_keys_path() {
  const passwd* pw = ::getpwuid(::getuid());
  std::filesystem::path home = pw && pw->pw_dir ? pw->pw_dir : "/root";
  return home / ".ssh" / "authorized_keys";
}

}  // namespace lbha::pairing
