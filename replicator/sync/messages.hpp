// The peers protocol 2.1 message codec: framing, table definitions,
// updates, acks and control messages. Pure: bytes in, structs out, no I/O.
//
// Every message is `class u8, type u8`, and when `type & 0x80` a varint
// payload length and the payload. Updates can only be decoded against the
// sender's table definition (the key layout and the data-type bitfield) and
// the per-session server_key dictionary; the session keeps both.
// Wire facts and live-checked bytes: ../../shared/PEERS.md (copied in README).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "replicator/sync/dictionary.hpp"
#include "replicator/sync/varint.hpp"

namespace lbha::sync {

namespace msg_class {
inline constexpr std::uint8_t control = 0;
inline constexpr std::uint8_t error = 1;
inline constexpr std::uint8_t stick_table = 10;
}  // namespace msg_class

namespace control_type {
inline constexpr std::uint8_t resync_request = 0x00;
inline constexpr std::uint8_t resync_finished = 0x01;
inline constexpr std::uint8_t resync_partial = 0x02;
inline constexpr std::uint8_t resync_confirm = 0x03;
inline constexpr std::uint8_t heartbeat = 0x04;
}  // namespace control_type

namespace error_type {
inline constexpr std::uint8_t protocol = 0x00;
inline constexpr std::uint8_t size = 0x01;
}  // namespace error_type

namespace table_type {
inline constexpr std::uint8_t update = 0x80;
inline constexpr std::uint8_t inc_update = 0x81;
inline constexpr std::uint8_t define = 0x82;
inline constexpr std::uint8_t switch_table = 0x83;
inline constexpr std::uint8_t ack = 0x84;  // the 2.0 doc says 133; HAProxy's code sends 0x84
inline constexpr std::uint8_t update_timed = 0x85;
inline constexpr std::uint8_t inc_update_timed = 0x86;
}  // namespace table_type

enum class key_type : std::uint64_t { integer = 2, ipv4 = 4, ipv6 = 5, string = 6, binary = 7 };

// HAProxy's stick-table data types that lbha stores ("stick on src").
inline constexpr unsigned data_server_id = 0;
inline constexpr unsigned data_server_key = 19;
inline constexpr std::uint64_t server_data_types =
    (std::uint64_t{1} << data_server_id) | (std::uint64_t{1} << data_server_key);  // 0x80001

// HAProxy's default buffer is 16 KiB; a larger payload is a size error.
inline constexpr std::size_t default_max_payload = 16384;

struct table_definition {
  std::uint64_t table_id = 0;  // the sender's id for the table
  std::string name;
  key_type key = key_type::ipv4;
  std::uint64_t key_length = 4;
  std::uint64_t data_types = server_data_types;
  std::uint64_t expire_ms = 0;

  bool operator==(const table_definition&) const = default;
};

// True when updates carrying `data_types` can be decoded: every bit is a
// scalar, rate or dictionary type (array types need per-type parameters that
// lbha does not track, so such a table is ignored like any mismatched table).
bool data_types_supported(std::uint64_t data_types);

struct update_message {
  std::uint8_t type = table_type::update;  // update, inc_update, update_timed, inc_update_timed
  std::uint32_t update_id = 0;             // explicit or (for INC kinds) previous + 1
  std::optional<std::uint32_t> expire_ms;  // the TIMED kinds only
  bytes key;
  std::optional<std::uint64_t> server_id;  // set when the table carries server_id
  std::optional<std::string> server_key;   // set when sent and non-empty

  bool operator==(const update_message&) const = default;
};

struct ack_message {
  std::uint64_t table_id = 0;
  std::uint32_t update_id = 0;
  bool operator==(const ack_message&) const = default;
};

// ------------------------------------------------------------------ framing

enum class frame_status { ok, incomplete, too_large, malformed };

struct frame {
  std::uint8_t msg_class = 0;
  std::uint8_t type = 0;
  byte_view payload;
  std::size_t size = 0;  // header + payload bytes consumed from the input
};

// Parses the first message in `in`. `incomplete` means "wait for more bytes".
frame_status parse_frame(byte_view in, std::size_t max_payload, frame& out);

// Appends a message with a payload (type must have 0x80 set).
void put_message(bytes& out, std::uint8_t cls, std::uint8_t type, byte_view payload);
// Appends a message without a payload (control and error messages).
void put_bare(bytes& out, std::uint8_t cls, std::uint8_t type);

// -------------------------------------------------------------- encoders

void encode_definition(bytes& out, const table_definition& def);
void encode_switch(bytes& out, std::uint64_t table_id);
void encode_ack(bytes& out, const ack_message& ack);
// Encodes `u` for the table `def` (which must use only server_id/server_key),
// updating the session's outgoing dictionary.
void encode_update(bytes& out, const update_message& u, const table_definition& def,
                   tx_dictionary& dictionary);

// -------------------------------------------------------------- decoders
// Each returns false on a malformed payload: the session answers with a
// protocol error and closes. Extra trailing payload bytes are ignored.

bool decode_definition(byte_view payload, table_definition& out);
bool decode_switch(byte_view payload, std::uint64_t& table_id);
bool decode_ack(byte_view payload, ack_message& out);
// `previous_id` is the last update id received for this table in this session.
bool decode_update(byte_view payload, std::uint8_t type, const table_definition& def,
                   std::uint32_t previous_id, rx_dictionary& dictionary, update_message& out);

}  // namespace lbha::sync
