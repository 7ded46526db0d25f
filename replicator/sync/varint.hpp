// HAProxy's peers-protocol integer encoding and a bounds-checked byte reader.
//
// A value below 240 is one byte; larger values put their low 4 bits in a
// first byte >= 240 and continue 7 bits at a time with a continuation bit.
// This is not LEB128: the threshold offsets make every value's encoding
// unique, and decoding adds each byte shifted instead of masking it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lbha::sync {

using bytes = std::vector<std::uint8_t>;
using byte_view = std::span<const std::uint8_t>;

// Longest encoding of a 64-bit value (4 + 7 * 9 >= 64 bits).
inline constexpr std::size_t max_varint_size = 10;

void put_varint(bytes& out, std::uint64_t value);
std::size_t varint_size(std::uint64_t value);
void put_u32(bytes& out, std::uint32_t value);  // big-endian
void put_bytes(bytes& out, byte_view data);
void put_bytes(bytes& out, std::string_view data);

// Reads from a span without ever going past its end. Every getter returns
// false (and leaves the output untouched) when the data is short or invalid.
class byte_reader {
 public:
  explicit byte_reader(byte_view data) : data_(data) {}

  bool get_varint(std::uint64_t& value);
  bool get_u8(std::uint8_t& value);
  bool get_u32(std::uint32_t& value);
  bool get_bytes(std::size_t n, byte_view& out);
  bool get_string(std::size_t n, std::string& out);

  std::size_t remaining() const { return data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  byte_view rest() const { return data_.subspan(pos_); }

 private:
  byte_view data_;
  std::size_t pos_ = 0;
};

// Decodes one varint at the start of `data`. Returns the number of bytes used,
// 0 when `data` ends before the varint does, and -1 when it is malformed
// (longer than max_varint_size or overflowing 64 bits).
int decode_varint(byte_view data, std::uint64_t& value);

}  // namespace lbha::sync
