#include "replicator/sync/session.hpp"

#include <cassert>

namespace lbha::sync {

peer_session::peer_session(session_role role, const std::vector<table_definition>& local_tables,
                           std::size_t max_payload, std::size_t max_remote_tables)
    : role_(role),
      state_(role == session_role::outgoing ? session_state::awaiting_status
                                            : session_state::awaiting_hello),
      local_tables_(local_tables),
      max_payload_(max_payload),
      max_remote_tables_(max_remote_tables) {}

void peer_session::receive(byte_view data, std::vector<session_event>& events) {
  // Lines during the handshake; a message may follow the last line in the same read.
  while (!data.empty() && (state_ == session_state::awaiting_status ||
                           state_ == session_state::awaiting_hello)) {
    std::size_t used = 0;
    std::string line;
    const auto r = lines_.take(data, used, line);
    data = data.subspan(used);
    if (r == line_splitter::result::too_long) {
      state_ = session_state::closed;
      events.push_back(event_error{"handshake line too long"});
      return;
    }
    if (r == line_splitter::result::need_more) return;
    receive_line(std::move(line), events);
  }
  if (state_ != session_state::established || data.empty()) return;

  in_.insert(in_.end(), data.begin(), data.end());
  std::size_t pos = 0;
  while (state_ == session_state::established) {
    frame f;
    const auto status = parse_frame(byte_view(in_).subspan(pos), max_payload_, f);
    if (status == frame_status::incomplete) break;
    if (status == frame_status::too_large) {
      fail(error_type::size, "message larger than the buffer", events);
      break;
    }
    if (status == frame_status::malformed) {
      fail(error_type::protocol, "malformed message length", events);
      break;
    }
    receive_message(f, events);
    pos += f.size;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(pos));
  if (state_ == session_state::established) send_acks();
}

void peer_session::receive_line(std::string line, std::vector<session_event>& events) {
  if (role_ == session_role::outgoing) {
    const auto code = parse_status(line);
    if (!code) {
      state_ = session_state::closed;
      events.push_back(event_error{"bad status line"});
      return;
    }
    state_ = *code == 200 ? session_state::established : session_state::closed;
    events.push_back(event_status{*code});
    return;
  }
  hello_lines_.push_back(std::move(line));
  if (hello_lines_.size() == 1) {
    const auto status = check_protocol_line(hello_lines_[0]);
    if (status != status_code::ok) {
      send_status(status);
      events.push_back(event_error{"bad protocol line"});
    }
    return;
  }
  if (hello_lines_.size() < 3) return;
  hello h;
  h.called_name = hello_lines_[1];
  if (!parse_sender_line(hello_lines_[2], h)) {
    send_status(status_code::protocol_error);
    events.push_back(event_error{"bad sender line"});
    return;
  }
  // The caller waits for our status before sending more; anything it sends
  // early is dropped with the rest of this read.
  state_ = session_state::hello_received;
  events.push_back(event_hello{std::move(h)});
}

void peer_session::receive_message(const frame& f, std::vector<session_event>& events) {
  switch (f.msg_class) {
    case msg_class::control:
      if (f.type <= control_type::heartbeat) events.push_back(event_control{f.type});
      return;  // unknown control types are skipped
    case msg_class::error:
      state_ = session_state::closed;
      events.push_back(event_error{f.type == error_type::size ? "peer reported a size error"
                                                             : "peer reported a protocol error"});
      return;
    case msg_class::stick_table:
      break;
    default:
      return;  // unknown classes are skipped
  }
  switch (f.type) {
    case table_type::define: {
      table_definition def;
      if (!decode_definition(f.payload, def)) return fail(error_type::protocol, "bad DEFINE", events);
      if (remote_tables_.size() >= max_remote_tables_ && !remote_tables_.contains(def.table_id)) {
        ++refused_tables_;
        refused_table_.definition = std::move(def);
        refused_table_.local.reset();
        rx_table_ = &refused_table_;
        return;
      }
      remote_table& t = remote_tables_[def.table_id];
      t.local = match(def);
      t.definition = std::move(def);
      rx_table_ = &t;
      return;
    }
    case table_type::switch_table: {
      std::uint64_t id = 0;
      if (!decode_switch(f.payload, id)) return fail(error_type::protocol, "bad SWITCH", events);
      auto it = remote_tables_.find(id);
      if (it == remote_tables_.end()) return fail(error_type::protocol, "SWITCH to an undefined table", events);
      rx_table_ = &it->second;
      return;
    }
    case table_type::ack: {
      ack_message ack;
      if (!decode_ack(f.payload, ack)) return fail(error_type::protocol, "bad ACK", events);
      events.push_back(event_ack{ack.table_id, ack.update_id});
      return;
    }
    case table_type::update:
    case table_type::inc_update:
    case table_type::update_timed:
    case table_type::inc_update_timed: {
      if (rx_table_ == nullptr) return fail(error_type::protocol, "update before DEFINE", events);
      update_message u;
      // Decoded even for a table we do not share: the server_key dictionary
      // and the INC ids run through every table, and a reload may give us
      // the table later in this session.
      if (!decode_update(f.payload, f.type, rx_table_->definition, rx_table_->last_id,
                         rx_dictionary_, u)) {
        return fail(error_type::protocol, "bad update", events);
      }
      rx_table_->last_id = u.update_id;
      if (!rx_table_->local) return;  // a table we do not share (not acknowledged)
      rx_table_->ack_due = true;
      events.push_back(event_update{*rx_table_->local, std::move(u)});
      return;
    }
    default:
      return;  // unknown table messages are skipped
  }
}

std::optional<std::size_t> peer_session::match(const table_definition& remote) const {
  std::optional<std::size_t> local;
  for (std::size_t i = 0; i < local_tables_.size(); ++i) {
    const auto& mine = local_tables_[i];
    // HAProxy ignores a table whose name, key type or key length differ.
    if (mine.name == remote.name && mine.key == remote.key &&
        mine.key_length == remote.key_length && data_types_supported(remote.data_types)) {
      local = i;
    }
  }
  return local;
}

bool peer_session::local_tables_changed() {
  bool gained = false;
  for (auto& [id, t] : remote_tables_) {
    const auto local = match(t.definition);
    if (local && !t.local) gained = true;
    t.local = local;
  }
  tx_table_.reset();
  return gained;
}

void peer_session::send_acks() {
  for (auto& [id, t] : remote_tables_) {
    if (!t.ack_due) continue;
    t.ack_due = false;
    encode_ack(out_, {.table_id = id, .update_id = t.last_id});
  }
}

void peer_session::send_hello(const hello& h) {
  assert(role_ == session_role::outgoing);
  const std::string text = format_hello(h);
  put_bytes(out_, std::string_view(text));
}

void peer_session::send_status(status_code code) {
  assert(role_ == session_role::incoming);
  const std::string text = format_status(code);
  put_bytes(out_, std::string_view(text));
  state_ = code == status_code::ok ? session_state::established : session_state::closed;
}

void peer_session::send_control(std::uint8_t type) {
  if (state_ != session_state::established) return;
  put_bare(out_, msg_class::control, type);
}

void peer_session::send_update(std::size_t table, update_message u) {
  if (state_ != session_state::established) return;
  assert(table < local_tables_.size());
  const auto table_id = local_tables_[table].table_id;
  if (tx_table_ != table_id) {
    // HAProxy re-sends DEFINE rather than SWITCH whenever it changes table.
    encode_definition(out_, local_tables_[table]);
    tx_table_ = table_id;
  }
  auto& last_id = tx_last_id_[table_id];
  const bool timed = u.expire_ms.has_value();
  const bool follows = last_id != 0 && u.update_id == last_id + 1;
  if (timed) {
    u.type = follows ? table_type::inc_update_timed : table_type::update_timed;
  } else {
    u.type = follows ? table_type::inc_update : table_type::update;
  }
  last_id = u.update_id;
  encode_update(out_, u, local_tables_[table], tx_dictionary_);
  ++updates_sent_;
}

void peer_session::fail(std::uint8_t type, std::string_view reason,
                        std::vector<session_event>& events) {
  put_bare(out_, msg_class::error, type);
  state_ = session_state::closed;
  events.push_back(event_error{std::string(reason)});
}

bytes peer_session::take_output() {
  bytes out;
  out.swap(out_);
  return out;
}

}  // namespace lbha::sync
