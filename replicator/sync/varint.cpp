#include "replicator/sync/varint.hpp"

namespace lbha::sync {

void put_varint(bytes& out, std::uint64_t value) {
  if (value < 240) {
    out.push_back(static_cast<std::uint8_t>(value));
    return;
  }
  out.push_back(static_cast<std::uint8_t>((value & 0xff) | 0xf0));
  value = (value - 240) >> 4;
  while (value >= 128) {
    out.push_back(static_cast<std::uint8_t>((value & 0xff) | 0x80));
    value = (value - 128) >> 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

std::size_t varint_size(std::uint64_t value) {
  if (value < 240) return 1;
  std::size_t n = 2;
  value = (value - 240) >> 4;
  while (value >= 128) {
    ++n;
    value = (value - 128) >> 7;
  }
  return n;
}

void put_u32(bytes& out, std::uint32_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 24));
  out.push_back(static_cast<std::uint8_t>(value >> 16));
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value));
}

void put_bytes(bytes& out, byte_view data) { out.insert(out.end(), data.begin(), data.end()); }

void put_bytes(bytes& out, std::string_view data) { out.insert(out.end(), data.begin(), data.end()); }

int decode_varint(byte_view data, std::uint64_t& value) {
  if (data.empty()) return 0;
  std::uint64_t v = data[0];
  if (v < 240) {
    value = v;
    return 1;
  }
  unsigned shift = 4;
  for (std::size_t i = 1; i < data.size(); ++i) {
    if (i >= max_varint_size) return -1;
    const std::uint64_t b = data[i];
    // Reject encodings whose bits would fall off the top of 64 bits.
    if (shift >= 64 || (shift > 56 && (b >> (64 - shift)) != 0)) return -1;
    const std::uint64_t add = b << shift;
    if (v + add < v) return -1;
    v += add;
    if (b < 128) {
      value = v;
      return static_cast<int>(i + 1);
    }
    shift += 7;
  }
  return data.size() >= max_varint_size ? -1 : 0;
}

bool byte_reader::get_varint(std::uint64_t& value) {
  std::uint64_t v = 0;
  const int n = decode_varint(rest(), v);
  if (n <= 0) return false;
  pos_ += static_cast<std::size_t>(n);
  value = v;
  return true;
}

bool byte_reader::get_u8(std::uint8_t& value) {
  if (remaining() < 1) return false;
  value = data_[pos_++];
  return true;
}

bool byte_reader::get_u32(std::uint32_t& value) {
  if (remaining() < 4) return false;
  value = (std::uint32_t{data_[pos_]} << 24) | (std::uint32_t{data_[pos_ + 1]} << 16) |
          (std::uint32_t{data_[pos_ + 2]} << 8) | std::uint32_t{data_[pos_ + 3]};
  pos_ += 4;
  return true;
}

bool byte_reader::get_bytes(std::size_t n, byte_view& out) {
  if (remaining() < n) return false;
  out = data_.subspan(pos_, n);
  pos_ += n;
  return true;
}

bool byte_reader::get_string(std::size_t n, std::string& out) {
  byte_view view;
  if (!get_bytes(n, view)) return false;
  out.assign(view.begin(), view.end());
  return true;
}

}  // namespace lbha::sync
