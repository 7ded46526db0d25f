#include "heartbeatd/keyring.hpp"

#include <sys/stat.h>

#include <charconv>
#include <sstream>

#include "common/atomic_file.hpp"

namespace lbha::heartbeat {

const key* keyring::find(std::uint32_t id) const {
  for (const auto& k : keys_)
    if (k.id == id) return &k;
  return nullptr;
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::error_code invalid() { return std::make_error_code(std::errc::invalid_argument); }

}  // namespace

result<keyring> parse_keyring(std::string_view text, std::string& error) {
  std::vector<key> keys;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    std::string id_text, hex, extra;
    fields >> id_text;
    if (id_text.empty() || id_text[0] == '#') continue;
    fields >> hex >> extra;
    auto fail = [&](const std::string& what) {
      error = "heartbeat key line " + std::to_string(line_no) + ": " + what;
      return invalid();
    };
    key k;
    auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), k.id);
    if (ec != std::errc{} || p != id_text.data() + id_text.size())
      return fail("key id must be a decimal number");
    if (hex.empty() || !extra.empty()) return fail("expected '<key id> <hex secret>'");
    if (hex.size() % 2 != 0) return fail("secret has an odd number of hex digits");
    for (std::size_t i = 0; i < hex.size(); i += 2) {
      int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
      if (hi < 0 || lo < 0) return fail("secret is not hex");
      k.secret.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
    }
    if (k.secret.size() < min_key_bytes)
      return fail("secret shorter than " + std::to_string(min_key_bytes) + " bytes");
    for (const auto& other : keys)
      if (other.id == k.id) return fail("duplicate key id " + id_text);
    keys.push_back(std::move(k));
  }
  if (keys.empty()) {
    error = "no heartbeat key";
    return invalid();
  }
  return keyring(std::move(keys));
}

result<keyring> load_keyring(const std::filesystem::path& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = path.string() + ": cannot stat";
    return std::error_code(errno, std::generic_category());
  }
  if ((st.st_mode & 077) != 0) {
    error = path.string() + ": must not be readable by group or others (chmod 600)";
    return std::make_error_code(std::errc::permission_denied);
  }
  auto text = read_file(path);
  if (!text) {
    error = path.string() + ": cannot read";
    return text.error();
  }
  auto ring = parse_keyring(text.value(), error);
  if (!ring) error = path.string() + ": " + error;
  return ring;
}

}  // namespace lbha::heartbeat
