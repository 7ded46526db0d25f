// One peers-protocol connection: the handshake, then a stream of messages.
//
// peer_session turns received bytes into events and sync_node's decisions
// into bytes. It owns what the protocol scopes to one session: the line
// splitter, the input buffer, both server_key dictionaries, the mapping from
// the remote's table ids to ours (learnt from its DEFINEs), the last update
// id received per table (for INCUPDATE and ACK) and the table currently
// selected in each direction. Everything about peers, resync and timing is
// sync_node's. Pure: no I/O, no clock.
//
// A protocol violation queues the protocol's error message, moves the
// session to `closed` and reports an event_error; the owner flushes the
// output and closes the socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "replicator/sync/handshake.hpp"
#include "replicator/sync/messages.hpp"

namespace lbha::sync {

// Table definitions one session may make: lbha has one table per persistent
// service; more from a peer are refused (their updates are skipped, counted).
inline constexpr std::size_t default_max_remote_tables = 256;

enum class session_role { outgoing, incoming };
enum class session_state {
  awaiting_status,  // outgoing: hello sent
  awaiting_hello,   // incoming: reading the three lines
  hello_received,   // incoming: the owner must answer with send_status
  established,
  closed,
};

struct event_hello {  // incoming: the caller's three lines, to be answered with send_status
  hello h;
};
struct event_status {  // outgoing: the answer to our hello
  int code;
};
struct event_control {
  std::uint8_t type;
};
struct event_update {
  std::size_t table;  // index into the local table definitions
  update_message update;
};
struct event_ack {
  std::uint64_t table_id;  // our id for the table
  std::uint32_t update_id;
};
struct event_error {
  std::string reason;
};
using session_event =
    std::variant<event_hello, event_status, event_control, event_update, event_ack, event_error>;

class peer_session {
 public:
  // `local_tables[i]` is the definition of our table i (its table_id is ours).
  peer_session(session_role role, const std::vector<table_definition>& local_tables,
               std::size_t max_payload = default_max_payload,
               std::size_t max_remote_tables = default_max_remote_tables);

  session_role role() const { return role_; }
  session_state state() const { return state_; }

  // Parses as much of `data` as forms whole lines or messages; keeps the rest.
  void receive(byte_view data, std::vector<session_event>& events);

  void send_hello(const hello& h);   // outgoing, before anything else
  void send_status(status_code code);  // incoming, after event_hello; non-200 closes
  void send_control(std::uint8_t type);
  // Sends `u` for local table `table`: a DEFINE first when that table is not
  // the current one, and INC kinds when the id follows the previous one.
  void send_update(std::size_t table, update_message u);
  // Sends the protocol error and closes.
  void fail(std::uint8_t error_type, std::string_view reason, std::vector<session_event>& events);
  void close() { state_ = session_state::closed; }
  // The owner's table definitions changed in place (a reload): the remote's
  // tables are matched again by name and key, and the next update re-sends
  // its DEFINE. Our table ids are stable across reloads, so the update ids
  // sent so far keep their meaning. True when a table the remote defined in
  // this session is now one of ours and was not before: what the remote sent
  // for it until now was skipped.
  bool local_tables_changed();

  bool has_output() const { return !out_.empty(); }
  bytes take_output();
  std::uint64_t updates_sent() const { return updates_sent_; }
  // DEFINEs refused because the session already had max_remote_tables.
  std::uint64_t refused_tables() const { return refused_tables_; }

 private:
  void receive_line(std::string line, std::vector<session_event>& events);
  void receive_message(const frame& f, std::vector<session_event>& events);
  void send_acks();
  std::optional<std::size_t> match(const table_definition& remote) const;

  struct remote_table {
    std::optional<std::size_t> local;  // unset: a table we do not have (its updates are skipped)
    table_definition definition;
    std::uint32_t last_id = 0;
    bool ack_due = false;
  };

  session_role role_;
  session_state state_;
  const std::vector<table_definition>& local_tables_;
  std::size_t max_payload_;
  std::size_t max_remote_tables_;
  std::uint64_t refused_tables_ = 0;
  // Where a refused table's updates are decoded (and skipped): never matched.
  remote_table refused_table_;
  line_splitter lines_;
  std::vector<std::string> hello_lines_;
  bytes in_;
  bytes out_;
  rx_dictionary rx_dictionary_;
  tx_dictionary tx_dictionary_;
  std::unordered_map<std::uint64_t, remote_table> remote_tables_;
  remote_table* rx_table_ = nullptr;
  std::optional<std::uint64_t> tx_table_;  // our table_id of the last DEFINE sent
  std::unordered_map<std::uint64_t, std::uint32_t> tx_last_id_;  // per our table_id; none = none sent
  std::uint64_t updates_sent_ = 0;
};

}  // namespace lbha::sync
