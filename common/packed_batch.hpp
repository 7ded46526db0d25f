// The packed form of a StickBatch (fields `packed` and `names`), for bulk
// transfers between syncd and proxyd: a million-entry resync costs one
// protobuf object and three strings per entry on each side in the repeated
// form, and nothing per entry in this one.
//
// `packed` is a sequence of records, each
//
//   key length   1 byte, 4 (IPv4) or 16 (IPv6)
//   table        2 bytes little-endian, index into `names`
//   server       2 bytes little-endian, index into `names`
//   expires_in   4 bytes little-endian, milliseconds
//   key          `key length` bytes, network order
//
// The encoder is syncd's; the decoder is proxyd's and the tests'. Header
// only, so both daemons build the one codec without linking each other's
// libraries. Decoding checks the whole buffer before returning anything: a
// malformed batch is refused whole, with the reason, never half applied.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lbha/v1/proxy.pb.h"

namespace lbha::sync::packed {

constexpr std::size_t header_size = 9;
// Names per batch: indices are 16 bits.
constexpr std::size_t max_names = 65536;

struct record {
  std::uint8_t key_size = 0;
  std::array<std::uint8_t, 16> key{};
  std::uint16_t table = 0;
  std::uint16_t server = 0;
  std::uint32_t expires_in_ms = 0;
};

enum class errc {
  truncated = 1,   // the last record is cut short
  bad_key_length,  // neither 4 nor 16
  bad_name_index,  // table or server past the end of `names`
  too_many_names,  // more than max_names
};

inline std::string_view message(errc e) {
  switch (e) {
    case errc::truncated:
      return "packed batch truncated";
    case errc::bad_key_length:
      return "packed record with a key length other than 4 or 16";
    case errc::bad_name_index:
      return "packed record naming a table or server past the name table";
    case errc::too_many_names:
      return "packed batch with more than 65536 names";
  }
  return "packed batch malformed";
}

// Builds one batch; reusable after take().
class encoder {
 public:
  // False (and nothing added) when the key is not 4 or 16 bytes or the batch
  // already has max_names names and these are new.
  bool add(std::string_view table, std::string_view key, std::string_view server,
           std::uint32_t expires_in_ms) {
    if (key.size() != 4 && key.size() != 16) return false;
    const auto t = name(table);
    if (!t) return false;
    const auto s = name(server);
    if (!s) return false;
    const std::size_t at = out_.size();
    out_.resize(at + header_size + key.size());
    char* p = out_.data() + at;
    p[0] = static_cast<char>(key.size());
    put16(p + 1, *t);
    put16(p + 3, *s);
    put32(p + 5, expires_in_ms);
    std::memcpy(p + header_size, key.data(), key.size());
    ++count_;
    return true;
  }

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  void reserve(std::size_t entries) { out_.reserve(entries * (header_size + 4)); }

  // Moves the records and names into `batch` (appending names is not
  // supported: `batch` must have no packed part yet) and starts afresh.
  void take(lbha::v1::StickBatch& batch) {
    batch.set_packed(std::move(out_));
    for (auto& n : names_) batch.add_names(std::move(n));
    out_.clear();
    names_.clear();
    last_.clear();
    last_index_ = 0;
    count_ = 0;
  }

 private:
  static void put16(char* p, std::uint16_t v) {
    p[0] = static_cast<char>(v & 0xff);
    p[1] = static_cast<char>(v >> 8);
  }
  static void put32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  }
  // Names repeat from one entry to the next, and a batch has few of them.
  std::optional<std::uint16_t> name(std::string_view n) {
    if (!names_.empty() && n == last_) return last_index_;
    std::size_t i = 0;
    while (i < names_.size() && names_[i] != n) ++i;
    if (i == names_.size()) {
      if (names_.size() >= max_names) return std::nullopt;
      names_.emplace_back(n);
    }
    last_.assign(n);
    last_index_ = static_cast<std::uint16_t>(i);
    return last_index_;
  }

  std::string out_;
  std::vector<std::string> names_;
  std::string last_;
  std::uint16_t last_index_ = 0;
  std::size_t count_ = 0;
};

// Decodes `packed` against a name table of `names` entries into `out`
// (cleared first). On error `out` is left empty.
inline std::optional<errc> decode(std::string_view packed, std::size_t names,
                                  std::vector<record>& out) {
  out.clear();
  if (names > max_names) return errc::too_many_names;
  auto u8 = [&](std::size_t i) { return static_cast<std::uint8_t>(packed[i]); };
  std::size_t pos = 0;
  while (pos < packed.size()) {
    if (packed.size() - pos < header_size) {
      out.clear();
      return errc::truncated;
    }
    record r;
    r.key_size = u8(pos);
    if (r.key_size != 4 && r.key_size != 16) {
      out.clear();
      return errc::bad_key_length;
    }
    if (packed.size() - pos - header_size < r.key_size) {
      out.clear();
      return errc::truncated;
    }
    r.table = static_cast<std::uint16_t>(u8(pos + 1) | (u8(pos + 2) << 8));
    r.server = static_cast<std::uint16_t>(u8(pos + 3) | (u8(pos + 4) << 8));
    r.expires_in_ms = static_cast<std::uint32_t>(u8(pos + 5)) |
                      (static_cast<std::uint32_t>(u8(pos + 6)) << 8) |
                      (static_cast<std::uint32_t>(u8(pos + 7)) << 16) |
                      (static_cast<std::uint32_t>(u8(pos + 8)) << 24);
    if (r.table >= names || r.server >= names) {
      out.clear();
      return errc::bad_name_index;
    }
    std::memcpy(r.key.data(), packed.data() + pos + header_size, r.key_size);
    out.push_back(r);
    pos += header_size + r.key_size;
  }
  return std::nullopt;
}

}  // namespace lbha::sync::packed
