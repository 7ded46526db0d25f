#include "common/state/term_file.hpp"

#include <charconv>

namespace lbha::state {

result<std::uint64_t> read_term(const std::filesystem::path& path) {
  auto text = read_if_exists(path);
  if (!text) return text.error();
  if (!text.value()) return std::uint64_t{0};
  std::string s = std::move(*text.value());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  std::uint64_t term = 0;
  auto [p, err] = std::from_chars(s.data(), s.data() + s.size(), term);
  if (s.empty() || err != std::errc{} || p != s.data() + s.size())
    return garbled(path, "expected the term, a decimal number");
  return term;
}

result<void> write_term(const std::filesystem::path& path, std::uint64_t term) {
  return write_state_file(path, std::to_string(term) + "\n", 0644);
}

}  // namespace lbha::state
