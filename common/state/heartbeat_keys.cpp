#include "common/state/heartbeat_keys.hpp"

#include <charconv>
#include <sstream>

#include "common/state/hex.hpp"

namespace lbha::state {

result<std::vector<heartbeat_key>> parse_heartbeat_keys(std::string_view text) {
  std::vector<heartbeat_key> keys;
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
      return error(errc::garbled, "line " + std::to_string(line_no) + ": " + what);
    };
    heartbeat_key k;
    auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), k.id);
    if (ec != std::errc{} || p != id_text.data() + id_text.size())
      return fail("key id must be a decimal number 0..4294967295");
    if (hex.empty() || !extra.empty()) return fail("expected '<key id> <hex secret>'");
    auto secret = from_hex(hex);
    if (!secret) return fail("secret is not an even number of hex digits");
    k.secret = std::move(*secret);
    if (k.secret.size() < min_key_bytes)
      return fail("secret shorter than " + std::to_string(min_key_bytes) + " bytes");
    for (const auto& other : keys)
      if (other.id == k.id) return fail("duplicate key id " + id_text);
    keys.push_back(std::move(k));
  }
  if (keys.empty()) return error(errc::garbled, "no heartbeat key");
  return keys;
}

std::string to_text(const std::vector<heartbeat_key>& keys) {
  std::string out =
      "# HMAC-SHA256 heartbeat keys shared by the pair (written by lbctl pair); the first "
      "signs.\n";
  for (const auto& k : keys) out += std::to_string(k.id) + " " + to_hex(k.secret) + "\n";
  return out;
}

result<std::optional<std::vector<heartbeat_key>>> read_heartbeat_keys(
    const std::filesystem::path& path) {
  auto text = read_secret_if_exists(path);
  if (!text) return text.error();
  if (!text.value()) return std::optional<std::vector<heartbeat_key>>{};
  auto keys = parse_heartbeat_keys(*text.value());
  if (!keys) return keys.error().prefixed(path.string());
  return std::optional<std::vector<heartbeat_key>>(std::move(keys).value());
}

result<void> write_heartbeat_keys(const std::filesystem::path& path,
                                  const std::vector<heartbeat_key>& keys) {
  return write_state_file(path, to_text(keys), 0600);
}

}  // namespace lbha::state
