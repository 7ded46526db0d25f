// The codec against byte sequences computed by hand from the spec and
// captured live from HAProxy 2.6 (shared/PEERS.md).
#include <gtest/gtest.h>

#include <initializer_list>

#include "replicator/sync/handshake.hpp"
#include "replicator/sync/messages.hpp"

namespace lbha::sync {
namespace {

bytes b(std::initializer_list<int> v) {
  bytes out;
  for (int x : v) out.push_back(static_cast<std::uint8_t>(x));
  return out;
}

bytes varint(std::uint64_t v) {
  bytes out;
  put_varint(out, v);
  return out;
}

table_definition be_app() {
  return {.table_id = 1, .name = "be_app", .key = key_type::ipv4, .key_length = 4,
          .data_types = server_data_types, .expire_ms = 1800000};
}

TEST(varint, encodes_like_haproxy) {
  EXPECT_EQ(varint(0), b({0x00}));
  EXPECT_EQ(varint(239), b({0xef}));
  EXPECT_EQ(varint(240), b({0xf0, 0x00}));
  EXPECT_EQ(varint(255), b({0xff, 0x00}));
  EXPECT_EQ(varint(256), b({0xf0, 0x01}));
  EXPECT_EQ(varint(2287), b({0xff, 0x7f}));  // largest two-byte value
  EXPECT_EQ(varint(2288), b({0xf0, 0x80, 0x00}));
  EXPECT_EQ(varint(0x1234), b({0xf4, 0x94, 0x01}));
  EXPECT_EQ(varint(1800000), b({0xf0, 0xe5, 0xed, 0x05}));
  EXPECT_EQ(varint(0x80001), b({0xf1, 0xf1, 0xfe, 0x00}));
}

TEST(varint, round_trips_and_sizes) {
  for (std::uint64_t v : {0ull, 1ull, 239ull, 240ull, 2287ull, 2288ull, 0xffffull, 0xffffffffull,
                          0x123456789abcdefull, ~0ull}) {
    const bytes e = varint(v);
    EXPECT_EQ(e.size(), varint_size(v)) << v;
    std::uint64_t d = 0;
    EXPECT_EQ(decode_varint(e, d), static_cast<int>(e.size())) << v;
    EXPECT_EQ(d, v);
    // Every strict prefix is incomplete.
    for (std::size_t n = 0; n < e.size(); ++n) {
      EXPECT_EQ(decode_varint(byte_view(e).first(n), d), 0) << v << " prefix " << n;
    }
  }
}

TEST(varint, rejects_overlong_and_overflowing) {
  std::uint64_t d = 0;
  bytes endless(12, 0xff);
  EXPECT_EQ(decode_varint(endless, d), -1);
  bytes overflow = b({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f});
  EXPECT_EQ(decode_varint(overflow, d), -1);
}

TEST(frame, parses_bare_and_sized_messages) {
  frame f;
  const bytes heartbeat = b({0x00, 0x04, 0xaa});
  ASSERT_EQ(parse_frame(heartbeat, default_max_payload, f), frame_status::ok);
  EXPECT_EQ(f.msg_class, 0);
  EXPECT_EQ(f.type, control_type::heartbeat);
  EXPECT_EQ(f.size, 2u);

  const bytes ack = b({0x0a, 0x84, 0x05, 0x01, 0x00, 0x00, 0x00, 0x01});
  ASSERT_EQ(parse_frame(ack, default_max_payload, f), frame_status::ok);
  EXPECT_EQ(f.size, ack.size());
  EXPECT_EQ(f.payload.size(), 5u);
  for (std::size_t n = 0; n < ack.size(); ++n) {
    EXPECT_EQ(parse_frame(byte_view(ack).first(n), default_max_payload, f),
              frame_status::incomplete);
  }
}

TEST(frame, rejects_oversized_and_malformed_lengths) {
  frame f;
  bytes big = b({0x0a, 0x80});
  put_varint(big, default_max_payload + 1);
  EXPECT_EQ(parse_frame(big, default_max_payload, f), frame_status::too_large);
  EXPECT_EQ(parse_frame(b({0x0a, 0x80, 0xff, 0xff, 0xff, 0xff, 0xff}), default_max_payload, f),
            frame_status::malformed);
  EXPECT_EQ(parse_frame(b({0x0a, 0x80, 0xff, 0xff, 0xff, 0xff}), default_max_payload, f),
            frame_status::incomplete);
}

TEST(control, bare_messages) {
  bytes out;
  put_bare(out, msg_class::control, control_type::resync_request);
  put_bare(out, msg_class::control, control_type::resync_finished);
  put_bare(out, msg_class::control, control_type::resync_partial);
  put_bare(out, msg_class::control, control_type::resync_confirm);
  put_bare(out, msg_class::control, control_type::heartbeat);
  put_bare(out, msg_class::error, error_type::protocol);
  put_bare(out, msg_class::error, error_type::size);
  EXPECT_EQ(out, b({0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 1, 0, 1, 1}));
}

TEST(define, matches_haproxy_live_bytes) {
  const bytes live = b({0x0a, 0x82, 0x12, 0x01, 0x06, 0x62, 0x65, 0x5f, 0x61, 0x70, 0x70, 0x04,
                        0x04, 0xf1, 0xf1, 0xfe, 0x00, 0xf0, 0xe5, 0xed, 0x05});
  bytes out;
  encode_definition(out, be_app());
  EXPECT_EQ(out, live);

  frame f;
  ASSERT_EQ(parse_frame(live, default_max_payload, f), frame_status::ok);
  EXPECT_EQ(f.type, table_type::define);
  table_definition def;
  ASSERT_TRUE(decode_definition(f.payload, def));
  EXPECT_EQ(def, be_app());
}

TEST(define, accepts_trailing_parameters_and_missing_expiry) {
  // 2.0 peers stop after the data types; rate parameters may follow the expiry.
  table_definition def;
  ASSERT_TRUE(decode_definition(b({0x02, 0x01, 0x74, 0x05, 0x10, 0x01}), def));
  EXPECT_EQ(def.table_id, 2u);
  EXPECT_EQ(def.name, "t");
  EXPECT_EQ(def.key, key_type::ipv6);
  EXPECT_EQ(def.key_length, 16u);
  EXPECT_EQ(def.data_types, 1u);
  EXPECT_EQ(def.expire_ms, 0u);
  ASSERT_TRUE(decode_definition(b({0x02, 0x01, 0x74, 0x05, 0x10, 0x09, 0x64, 0x03, 0xf0, 0x00}),
                                def));
  EXPECT_EQ(def.data_types, 9u);
  EXPECT_EQ(def.expire_ms, 100u);
  EXPECT_FALSE(decode_definition(b({0x02, 0x05, 0x74}), def));  // name longer than payload
}

TEST(update, decodes_haproxy_live_update) {
  const bytes live = b({0x0a, 0x80, 0x0e, 0x00, 0x00, 0x00, 0x02, 0x7f, 0x00, 0x00, 0x09, 0x01,
                        0x04, 0x01, 0x02, 0x73, 0x31});
  frame f;
  ASSERT_EQ(parse_frame(live, default_max_payload, f), frame_status::ok);
  rx_dictionary dict;
  update_message u;
  ASSERT_TRUE(decode_update(f.payload, f.type, be_app(), 0, dict, u));
  EXPECT_EQ(u.update_id, 2u);
  EXPECT_FALSE(u.expire_ms);
  EXPECT_EQ(u.key, b({127, 0, 0, 9}));
  EXPECT_EQ(u.server_id, 1u);
  EXPECT_EQ(u.server_key, "s1");
  ASSERT_NE(dict.get(1), nullptr);
  EXPECT_EQ(*dict.get(1), "s1");
}

TEST(update, encodes_what_haproxy_accepted_then_a_cached_reference) {
  tx_dictionary dict;
  update_message u{.type = table_type::update, .update_id = 1, .expire_ms = {},
                   .key = b({198, 51, 100, 7}), .server_id = 2, .server_key = "s2"};
  bytes out;
  encode_update(out, u, be_app(), dict);
  EXPECT_EQ(out, b({0x0a, 0x80, 0x0e, 0x00, 0x00, 0x00, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x02, 0x04,
                    0x01, 0x02, 0x73, 0x32}));

  // The same server again, as an INCUPDATE: no id, the dictionary entry by reference.
  out.clear();
  u.type = table_type::inc_update;
  u.key = b({198, 51, 100, 8});
  encode_update(out, u, be_app(), dict);
  EXPECT_EQ(out, b({0x0a, 0x81, 0x07, 0xc6, 0x33, 0x64, 0x08, 0x02, 0x01, 0x01}));

  rx_dictionary rx;
  update_message d;
  frame f;
  bytes first = b({0x0a, 0x80, 0x0e, 0x00, 0x00, 0x00, 0x01, 0xc6, 0x33, 0x64, 0x07, 0x02, 0x04,
                   0x01, 0x02, 0x73, 0x32});
  ASSERT_EQ(parse_frame(first, default_max_payload, f), frame_status::ok);
  ASSERT_TRUE(decode_update(f.payload, f.type, be_app(), 0, rx, d));
  ASSERT_EQ(parse_frame(out, default_max_payload, f), frame_status::ok);
  ASSERT_TRUE(decode_update(f.payload, f.type, be_app(), d.update_id, rx, d));
  EXPECT_EQ(d.update_id, 2u);
  EXPECT_EQ(d.key, b({198, 51, 100, 8}));
  EXPECT_EQ(d.server_key, "s2");
}

TEST(update, ipv6_incupdate_timed) {
  const table_definition def{.table_id = 7, .name = "vs6", .key = key_type::ipv6,
                             .key_length = 16, .data_types = server_data_types,
                             .expire_ms = 60000};
  const bytes key = b({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01});
  update_message u{.type = table_type::inc_update_timed, .update_id = 0, .expire_ms = 60000,
                   .key = key, .server_id = 3, .server_key = "rs3"};
  tx_dictionary tx;
  bytes out;
  encode_update(out, u, def, tx);
  bytes expected = b({0x0a, 0x86, 0x1b, 0x00, 0x00, 0xea, 0x60});
  put_bytes(expected, byte_view(key));
  put_bytes(expected, byte_view(b({0x03, 0x05, 0x01, 0x03, 0x72, 0x73, 0x33})));
  EXPECT_EQ(out, expected);

  frame f;
  ASSERT_EQ(parse_frame(out, default_max_payload, f), frame_status::ok);
  rx_dictionary rx;
  update_message d;
  ASSERT_TRUE(decode_update(f.payload, f.type, def, 41, rx, d));
  EXPECT_EQ(d.update_id, 42u);
  EXPECT_EQ(d.expire_ms, 60000u);
  EXPECT_EQ(d.key, key);
  EXPECT_EQ(d.server_id, 3u);
  EXPECT_EQ(d.server_key, "rs3");
}

TEST(update, update_timed_with_no_server_key) {
  update_message u{.type = table_type::update_timed, .update_id = 0x01020304, .expire_ms = 5,
                   .key = b({10, 0, 0, 1}), .server_id = 1, .server_key = {}};
  tx_dictionary tx;
  bytes out;
  encode_update(out, u, be_app(), tx);
  EXPECT_EQ(out, b({0x0a, 0x85, 0x0e, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x05, 10, 0, 0,
                    1, 0x01, 0x00}));
  frame f;
  ASSERT_EQ(parse_frame(out, default_max_payload, f), frame_status::ok);
  rx_dictionary rx;
  update_message d;
  ASSERT_TRUE(decode_update(f.payload, f.type, be_app(), 0, rx, d));
  EXPECT_EQ(d, u);
}

TEST(update, skips_other_data_types) {
  // server_id, conn_cnt (4, scalar), conn_rate (5, three varints), server_key.
  table_definition def = be_app();
  def.data_types = server_data_types | (1u << 4) | (1u << 5);
  rx_dictionary rx;
  update_message d;
  ASSERT_TRUE(decode_update(b({0x00, 0x00, 0x00, 0x09, 1, 2, 3, 4, 0x02, 0x07, 0x01, 0x02, 0x03,
                               0x03, 0x01, 0x01, 0x61}),
                            table_type::update, def, 0, rx, d));
  EXPECT_EQ(d.server_id, 2u);
  EXPECT_EQ(d.server_key, "a");
  def.data_types |= 1u << 22;  // gpt array: needs parameters lbha does not track
  EXPECT_FALSE(data_types_supported(def.data_types));
  EXPECT_FALSE(decode_update(b({0, 0, 0, 1, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0}), table_type::update,
                             def, 0, rx, d));
}

TEST(update, rejects_bad_dictionary_references_and_truncation) {
  rx_dictionary rx;
  update_message d;
  // A cached reference to an id never sent.
  EXPECT_FALSE(decode_update(b({0, 0, 0, 1, 1, 2, 3, 4, 0x01, 0x01, 0x05}), table_type::update,
                             be_app(), 0, rx, d));
  // Id 0 and id 129 are out of range.
  EXPECT_FALSE(decode_update(b({0, 0, 0, 1, 1, 2, 3, 4, 0x01, 0x03, 0x00, 0x01, 0x61}),
                             table_type::update, be_app(), 0, rx, d));
  EXPECT_FALSE(decode_update(b({0, 0, 0, 1, 1, 2, 3, 4, 0x01, 0x03, 0x81, 0x01, 0x61}),
                             table_type::update, be_app(), 0, rx, d));
  // Value length running past L.
  EXPECT_FALSE(decode_update(b({0, 0, 0, 1, 1, 2, 3, 4, 0x01, 0x03, 0x01, 0x05, 0x61, 0x61}),
                             table_type::update, be_app(), 0, rx, d));
  const bytes good = b({0, 0, 0, 1, 1, 2, 3, 4, 0x01, 0x04, 0x01, 0x02, 0x73, 0x31});
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_update(byte_view(good).first(n), table_type::update, be_app(), 0, rx, d))
        << n;
  }
  EXPECT_TRUE(decode_update(good, table_type::update, be_app(), 0, rx, d));
}

TEST(ack, matches_haproxy_live_bytes) {
  bytes out;
  encode_ack(out, {.table_id = 1, .update_id = 1});
  EXPECT_EQ(out, b({0x0a, 0x84, 0x05, 0x01, 0x00, 0x00, 0x00, 0x01}));
  ack_message a;
  ASSERT_TRUE(decode_ack(byte_view(out).subspan(3), a));
  EXPECT_EQ(a, (ack_message{1, 1}));
  EXPECT_FALSE(decode_ack(b({0x01, 0x00, 0x00}), a));
}

TEST(switch_table, round_trip) {
  bytes out;
  encode_switch(out, 300);
  EXPECT_EQ(out, b({0x0a, 0x83, 0x02, 0xfc, 0x03}));
  std::uint64_t id = 0;
  ASSERT_TRUE(decode_switch(byte_view(out).subspan(3), id));
  EXPECT_EQ(id, 300u);
}

TEST(dictionary, replaces_slots_round_robin) {
  tx_dictionary tx;
  for (std::uint32_t i = 0; i < dictionary_size; ++i) {
    auto s = tx.lookup_or_insert("s" + std::to_string(i));
    EXPECT_EQ(s.id, i + 1);
    EXPECT_TRUE(s.is_new);
  }
  EXPECT_FALSE(tx.lookup_or_insert("s5").is_new);
  auto s = tx.lookup_or_insert("new");
  EXPECT_EQ(s.id, 1u);  // took the oldest slot
  EXPECT_TRUE(s.is_new);
  EXPECT_TRUE(tx.lookup_or_insert("s0").is_new);  // s0 was evicted
  tx.clear();
  EXPECT_EQ(tx.lookup_or_insert("s5").id, 1u);
}

TEST(handshake, formats_the_lines_haproxy_sends) {
  EXPECT_EQ(format_hello({"stickd", "hap1", "30819", "1"}), "HAProxyS 2.1\nstickd\nhap1 30819 1\n");
  EXPECT_EQ(format_status(status_code::ok), "200\n");
  EXPECT_EQ(format_status(status_code::unknown_peer), "504\n");
}

TEST(handshake, checks_protocol_line) {
  EXPECT_EQ(check_protocol_line("HAProxyS 2.1"), status_code::ok);
  EXPECT_EQ(check_protocol_line("HAProxyS 2.0"), status_code::ok);
  EXPECT_EQ(check_protocol_line("HAProxyS 2.2"), status_code::bad_version);
  EXPECT_EQ(check_protocol_line("HAProxyS 3.0"), status_code::bad_version);
  EXPECT_EQ(check_protocol_line("HAProxy 2.1"), status_code::protocol_error);
  EXPECT_EQ(check_protocol_line("HAProxyS x.1"), status_code::protocol_error);
  EXPECT_EQ(check_protocol_line("GET / HTTP/1.1"), status_code::protocol_error);
}

TEST(handshake, parses_sender_and_status_lines) {
  hello h;
  ASSERT_TRUE(parse_sender_line("hap1 30819 1", h));
  EXPECT_EQ(h.sender_name, "hap1");
  EXPECT_EQ(h.pid, "30819");
  EXPECT_EQ(h.relative_pid, "1");
  EXPECT_FALSE(parse_sender_line("hap1", h));
  EXPECT_FALSE(parse_sender_line("hap1 30819", h));
  EXPECT_FALSE(parse_sender_line(" 1 2", h));
  EXPECT_EQ(parse_status("200"), 200);
  EXPECT_EQ(parse_status("503"), 503);
  EXPECT_FALSE(parse_status("20x"));
}

TEST(handshake, splits_lines_across_reads_and_keeps_binary_tail) {
  line_splitter s;
  std::string line;
  std::size_t used = 0;
  const std::string a = "HAProx";
  EXPECT_EQ(s.take(byte_view(reinterpret_cast<const std::uint8_t*>(a.data()), a.size()), used,
                   line),
            line_splitter::result::need_more);
  EXPECT_EQ(used, a.size());
  const std::string rest = "yS 2.1\r\n\x00\x04";
  byte_view v(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size() + 2);
  ASSERT_EQ(s.take(v, used, line), line_splitter::result::line);
  EXPECT_EQ(line, "HAProxyS 2.1");
  EXPECT_EQ(used, 8u);  // the heartbeat after the line stays for the binary decoder

  const std::string long_line(max_handshake_line + 10, 'x');
  line_splitter t;
  EXPECT_EQ(t.take(byte_view(reinterpret_cast<const std::uint8_t*>(long_line.data()),
                             long_line.size()),
                   used, line),
            line_splitter::result::too_long);
}

}  // namespace
}  // namespace lbha::sync
