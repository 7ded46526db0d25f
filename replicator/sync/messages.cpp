#include "replicator/sync/messages.hpp"

#include <bit>
#include <cassert>

namespace lbha::sync {
namespace {

// How one stick-table data type is encoded in an update.
enum class value_kind { scalar, rate, dictionary, unsupported };

value_kind kind_of(unsigned type) {
  switch (type) {
    case 3: case 5: case 8: case 10: case 12: case 14: case 16: case 18: case 21:
      return value_kind::rate;  // frequency counter: three varints
    case data_server_key:
      return value_kind::dictionary;
    default:
      return type < 22 ? value_kind::scalar : value_kind::unsupported;
  }
}

bool is_update_type(std::uint8_t type) {
  return type == table_type::update || type == table_type::inc_update ||
         type == table_type::update_timed || type == table_type::inc_update_timed;
}

bool has_explicit_id(std::uint8_t type) {
  return type == table_type::update || type == table_type::update_timed;
}

bool is_timed(std::uint8_t type) {
  return type == table_type::update_timed || type == table_type::inc_update_timed;
}

bool decode_key(byte_reader& r, const table_definition& def, bytes& key) {
  byte_view view;
  std::uint64_t length = def.key_length;
  switch (def.key) {
    case key_type::ipv4:
    case key_type::ipv6:
    case key_type::binary:
      break;
    case key_type::integer:
      length = 4;  // a 32-bit big-endian integer, not a varint
      break;
    case key_type::string:
      if (!r.get_varint(length) || length > def.key_length) return false;
      break;
    default:
      return false;
  }
  if (!r.get_bytes(length, view)) return false;
  key.assign(view.begin(), view.end());
  return true;
}

void encode_key(bytes& out, const table_definition& def, const bytes& key) {
  if (def.key == key_type::string) put_varint(out, key.size());
  put_bytes(out, byte_view(key));
}

// Reads one server_key dictionary value: 0 (none), or a length L covering an
// id and, for a new entry, a varint length and the bytes.
bool decode_dictionary_value(byte_reader& r, rx_dictionary& dictionary,
                             std::optional<std::string>& out) {
  std::uint64_t length = 0;
  if (!r.get_varint(length)) return false;
  if (length == 0) {
    out.reset();
    return true;
  }
  byte_view body;
  if (!r.get_bytes(length, body)) return false;
  byte_reader inner(body);
  std::uint64_t id = 0;
  if (!inner.get_varint(id) || id < 1 || id > dictionary_size) return false;
  if (inner.remaining() == 0) {
    const std::string* cached = dictionary.get(id);
    if (cached == nullptr) return false;  // a reference to an entry never sent
    out = *cached;
    return true;
  }
  std::uint64_t value_length = 0;
  std::string value;
  if (!inner.get_varint(value_length) || !inner.get_string(value_length, value)) return false;
  dictionary.set(id, value);
  out = std::move(value);
  return true;
}

}  // namespace

bool data_types_supported(std::uint64_t data_types) {
  // Only the set bits: this runs for every received update.
  for (auto bits = data_types; bits != 0; bits &= bits - 1) {
    if (kind_of(static_cast<unsigned>(std::countr_zero(bits))) == value_kind::unsupported) {
      return false;
    }
  }
  return true;
}

frame_status parse_frame(byte_view in, std::size_t max_payload, frame& out) {
  if (in.size() < 2) return frame_status::incomplete;
  out.msg_class = in[0];
  out.type = in[1];
  if ((out.type & 0x80) == 0) {
    out.payload = {};
    out.size = 2;
    return frame_status::ok;
  }
  std::uint64_t length = 0;
  // HAProxy reads at most 5 bytes of length.
  const int n = decode_varint(in.subspan(2, std::min<std::size_t>(in.size() - 2, 5)), length);
  if (n < 0) return frame_status::malformed;
  if (n == 0) return in.size() - 2 >= 5 ? frame_status::malformed : frame_status::incomplete;
  if (length > max_payload) return frame_status::too_large;
  const std::size_t header = 2 + static_cast<std::size_t>(n);
  if (in.size() - header < length) return frame_status::incomplete;
  out.payload = in.subspan(header, length);
  out.size = header + length;
  return frame_status::ok;
}

void put_message(bytes& out, std::uint8_t cls, std::uint8_t type, byte_view payload) {
  assert(type & 0x80);
  out.push_back(cls);
  out.push_back(type);
  put_varint(out, payload.size());
  put_bytes(out, payload);
}

void put_bare(bytes& out, std::uint8_t cls, std::uint8_t type) {
  assert((type & 0x80) == 0);
  out.push_back(cls);
  out.push_back(type);
}

void encode_definition(bytes& out, const table_definition& def) {
  bytes p;
  put_varint(p, def.table_id);
  put_varint(p, def.name.size());
  put_bytes(p, std::string_view(def.name));
  put_varint(p, static_cast<std::uint64_t>(def.key));
  put_varint(p, def.key_length);
  put_varint(p, def.data_types);
  put_varint(p, def.expire_ms);
  put_message(out, msg_class::stick_table, table_type::define, p);
}

void encode_switch(bytes& out, std::uint64_t table_id) {
  bytes p;
  put_varint(p, table_id);
  put_message(out, msg_class::stick_table, table_type::switch_table, p);
}

void encode_ack(bytes& out, const ack_message& ack) {
  bytes p;
  put_varint(p, ack.table_id);
  put_u32(p, ack.update_id);
  put_message(out, msg_class::stick_table, table_type::ack, p);
}

void encode_update(bytes& out, const update_message& u, const table_definition& def,
                   tx_dictionary& dictionary) {
  assert(is_update_type(u.type));
  assert((def.data_types & ~server_data_types) == 0);
  assert(is_timed(u.type) == u.expire_ms.has_value());
  bytes p;
  p.reserve(32 + u.key.size());
  if (has_explicit_id(u.type)) put_u32(p, u.update_id);
  if (u.expire_ms) put_u32(p, *u.expire_ms);
  encode_key(p, def, u.key);
  if (def.data_types & (std::uint64_t{1} << data_server_id)) put_varint(p, u.server_id.value_or(0));
  if (def.data_types & (std::uint64_t{1} << data_server_key)) {
    if (!u.server_key || u.server_key->empty()) {
      put_varint(p, 0);
    } else {
      const auto slot = dictionary.lookup_or_insert(*u.server_key);
      if (slot.is_new) {
        const std::size_t length =
            varint_size(slot.id) + varint_size(u.server_key->size()) + u.server_key->size();
        put_varint(p, length);
        put_varint(p, slot.id);
        put_varint(p, u.server_key->size());
        put_bytes(p, std::string_view(*u.server_key));
      } else {
        put_varint(p, varint_size(slot.id));
        put_varint(p, slot.id);
      }
    }
  }
  put_message(out, msg_class::stick_table, u.type, p);
}

bool decode_definition(byte_view payload, table_definition& out) {
  byte_reader r(payload);
  table_definition def;
  std::uint64_t name_length = 0, key = 0;
  if (!r.get_varint(def.table_id) || !r.get_varint(name_length) ||
      !r.get_string(name_length, def.name) || !r.get_varint(key) ||
      !r.get_varint(def.key_length) || !r.get_varint(def.data_types)) {
    return false;
  }
  def.key = static_cast<key_type>(key);
  // The expiry came with 2.1; a 2.0 peer ends the payload here. Rate and
  // array parameters that may follow are not needed by lbha.
  def.expire_ms = 0;
  if (r.remaining() > 0 && !r.get_varint(def.expire_ms)) return false;
  out = std::move(def);
  return true;
}

bool decode_switch(byte_view payload, std::uint64_t& table_id) {
  byte_reader r(payload);
  return r.get_varint(table_id);
}

bool decode_ack(byte_view payload, ack_message& out) {
  byte_reader r(payload);
  ack_message ack;
  if (!r.get_varint(ack.table_id) || !r.get_u32(ack.update_id)) return false;
  out = ack;
  return true;
}

bool decode_update(byte_view payload, std::uint8_t type, const table_definition& def,
                   std::uint32_t previous_id, rx_dictionary& dictionary, update_message& out) {
  if (!is_update_type(type) || !data_types_supported(def.data_types)) return false;
  byte_reader r(payload);
  update_message u;
  u.type = type;
  if (has_explicit_id(type)) {
    if (!r.get_u32(u.update_id)) return false;
  } else {
    u.update_id = previous_id + 1;
  }
  if (is_timed(type)) {
    std::uint32_t expire = 0;
    if (!r.get_u32(expire)) return false;
    u.expire_ms = expire;
  }
  if (!decode_key(r, def, u.key)) return false;
  for (auto bits = def.data_types; bits != 0; bits &= bits - 1) {
    const auto t = static_cast<unsigned>(std::countr_zero(bits));
    std::uint64_t value = 0;
    switch (kind_of(t)) {
      case value_kind::scalar:
        if (!r.get_varint(value)) return false;
        if (t == data_server_id) u.server_id = value;
        break;
      case value_kind::rate:
        for (int i = 0; i < 3; ++i) {
          if (!r.get_varint(value)) return false;
        }
        break;
      case value_kind::dictionary:
        if (!decode_dictionary_value(r, dictionary, u.server_key)) return false;
        break;
      case value_kind::unsupported:
        return false;
    }
  }
  out = std::move(u);
  return true;
}

}  // namespace lbha::sync
