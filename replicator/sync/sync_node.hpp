// The pure core of lbha-syncd: peers, sessions, resync and the tables.
//
// sync_node decides everything the peers protocol leaves to a node and does
// no I/O: the daemon tells it about sockets (dialled, accepted, bytes, closed)
// and table changes from proxyd, calls tick() periodically, and carries out
// what it asks for (dial, write, close, apply to proxyd). Time comes from the
// injected clock, so tests drive whole conversations synchronously.
//
// Peers: both sides dial. A connection is accepted only from a configured
// peer address, and its hello only from a configured peer name (a peer
// configured by address alone, the lbha pair partner, may use any name and
// call us by any name). When a second valid session for a peer arrives, the
// newest wins and the older is closed; the peer is then redialled after a
// random 50-2050 ms so that two nodes dialling each other settle. A failed
// connect or handshake is retried with exponential backoff.
//
// Sessions: heartbeat after heartbeat_interval without sending; a peer
// silent for peer_timeout is dropped and redialled. Our updates carry ids
// from each table's counter; the peer acknowledges them and a new session
// resumes after the last acknowledged id (the backlog goes out on the next
// message or tick, so a peer that asks for a resync first is not sent every
// entry twice). The first session after start asks for a full resync
// (RESYNCREQ) and confirms when taught; a node that finds no teacher within
// resync_timeout counts as synced. A peer that asks is taught every entry
// with its remaining expiry, then RESYNCFINISHED (RESYNCPARTIAL while we are
// still learning ourselves).
//
// Authentication: a peer is reached over TLS with the pair's certificate
// unless it is marked `plain` (a HAProxy without ssl). The daemon does the
// TLS and tells the node which transport a connection has (secured()); the
// node lets a connection become a session only as a peer of that transport,
// and dials TLS peers only when it has an identity (pair.pem).
//
// Limits (each counted in node_counters): a peer's full-resync requests are
// served at most once per resync_interval (the excess waits for the window's
// end); a remote expiry is capped at the table's own timeout; the store holds
// at most max_entries over all tables (the entry nearest its expiry goes
// first); a session accepts at most max_remote_tables table definitions.
//
// Single-threaded: the daemon calls it from its io_context only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "replicator/sync/limits.hpp"
#include "replicator/sync/session.hpp"
#include "replicator/sync/table_store.hpp"

namespace lbha::sync {

using connection_id = std::uint64_t;
using namespace std::chrono_literals;

struct peer_config {
  std::string name;                    // empty: the pair partner, known by address only
  std::vector<std::string> addresses;  // dialled in turn; any may connect to us
  std::uint16_t port = 7778;
  bool plain = false;  // no TLS: only for a peer explicitly marked so (HAProxy interop)
};

struct node_settings {
  std::string local_name;
  std::string pid = "0";
  std::vector<peer_config> peers;
  std::vector<table_config> tables;
  // The pair certificate's fingerprint; empty = not paired: no TLS peer is
  // dialled or accepted. (The daemon holds the certificate itself.)
  std::string identity;
  std::size_t max_entries = 1000000;  // over all tables, like proxyd's stick_table_size
  std::size_t max_remote_tables = default_max_remote_tables;
  clock::duration resync_interval = 2s;  // a peer's full resyncs, at most one per
  std::uint64_t first_update_id = 0;      // sequence before a new table's first entry (tests)
  clock::duration heartbeat_interval = 1s;
  clock::duration peer_timeout = 5s;
  clock::duration handshake_timeout = 5s;
  clock::duration reconnect_min = 500ms;
  clock::duration reconnect_max = 5s;
  clock::duration purge_interval = 10s;
  // A node that finds no peer to teach it within this time after start is
  // on its own and counts as synced (HAProxy's PEER_RESYNC_TIMEOUT).
  clock::duration resync_timeout = 5s;
  std::size_t max_payload = default_max_payload;
  std::uint32_t seed = 1;  // for the collision retry delay
};

// A live session with a peer ended (the daemon raises sync_peer_disconnected).
struct session_end {
  std::string peer;  // its name when known, else its address
  std::string address;
  std::string reason;  // "connection closed", "peer silent for 5000 ms", ...
};

struct dial_request {
  connection_id id;
  std::string address;
  std::uint16_t port;
  bool tls = true;
  std::size_t address_index = 0;  // in the peer's addresses (the daemon binds the matching local one)
};

// One persistence entry as proxyd sees it.
struct table_change {
  std::string table;  // virtual service label
  bytes key;          // 4 or 16 bytes, network order
  std::string server;
  std::uint32_t expires_in_ms = 0;
};

// Entries learnt from peers in the packed StickBatch form (common/packed_batch.hpp):
// 9-byte headers naming table and server by index into `names`, then the key.
// What syncd hands proxyd after a read: no object and no allocation per entry.
struct packed_changes {
  std::string records;
  std::vector<std::string> names;
  std::size_t count = 0;

  bool empty() const { return count == 0; }
};

struct peer_status {
  std::string name;
  std::string address;
  bool connected = false;
  std::uint64_t updates_sent = 0;
  std::uint64_t updates_received = 0;
};

struct node_counters {
  std::uint64_t refused_connections = 0;
  std::uint64_t refused_hellos = 0;
  std::uint64_t session_errors = 0;
  std::uint64_t unknown_servers = 0;
  std::uint64_t ignored_local_changes = 0;
  std::uint64_t handshake_timeouts = 0;      // TCP + TLS + hello not done in handshake_timeout
  std::uint64_t refused_unauthenticated = 0; // a transport no peer at that address may use
  std::uint64_t refused_tables = 0;          // DEFINEs beyond max_remote_tables
  std::uint64_t evicted_entries = 0;         // dropped at max_entries before expiring
  std::uint64_t capped_expiries = 0;         // remote expiries above the table's timeout
  std::uint64_t resync_requests_deferred = 0;
};

class sync_node {
 public:
  sync_node(node_settings settings, const clock& clock);

  // Timers: heartbeats, silent peers, handshake timeouts, redials, expiry.
  void tick();

  // Sockets.
  std::vector<dial_request> take_dials();
  void connect_failed(connection_id id);
  void connected(connection_id id);
  // A new incoming socket from `address`; nullopt = refuse (close it). The
  // handshake timeout runs from here; the session starts at secured().
  std::optional<connection_id> accepted(const std::string& address);
  // The incoming connection's transport is known (TLS with the pair's
  // certificate verified, or plain): false = no peer at its address may use
  // it (counted, dropped; close it).
  bool secured(connection_id id, bool tls);
  // An outgoing connection's TLS handshake (or a plain peer's TCP connect)
  // finished: connected() follows. Failed TLS: connect_failed().
  void tls_failed(connection_id id);
  void received(connection_id id, byte_view data);
  void closed(connection_id id);
  // Bytes to write, per live connection.
  std::vector<std::pair<connection_id, bytes>> take_outputs();
  // Connections to close after writing their last bytes.
  std::vector<std::pair<connection_id, bytes>> take_closing();
  // Live sessions that ended since the last take (not a handshake that failed).
  std::vector<session_end> take_session_ends() { return std::exchange(session_ends_, {}); }

  // Tables.
  void local_changes(const std::vector<table_change>& changes);
  // Entries learnt from peers since the last take, packed (what the daemon
  // applies) or unpacked (the same, for tests).
  packed_changes take_remote_packed();
  std::vector<table_change> take_remote_changes();
  std::vector<table_change> snapshot() const;
  const sync_table* table(const std::string& name) const;
  const std::vector<sync_table>& tables() const { return tables_; }

  // A new configuration (a reload). Tables that keep their name and key type
  // keep their entries, their table id and their update ids (with the new
  // servers and expiry); new tables start empty with a new id; removed
  // tables are dropped. When only tables changed the sessions stay up: each
  // re-matches the peer's tables, a new table's entries are pushed from its
  // start, and a session whose peer already defined a table we just added
  // asks it for a resync (the peers protocol has none per table), since what
  // it sent for that table before was skipped. When the peers or our name
  // changed, every session is closed and redialled at once, our entries are
  // offered again and a resync is asked for. Returns whether anything changed.
  bool reconfigure(node_settings settings);
  const node_settings& settings() const { return settings_; }

  std::vector<peer_status> status() const;
  const node_counters& counters() const { return counters_; }
  bool resync_pending() const { return needs_resync_; }

  // A full resync for a peer is taught lesson_chunk entries at a time: the
  // daemon calls continue_lessons() (and tick() does) while teaching().
  static constexpr std::size_t lesson_chunk = 20000;
  bool teaching() const;
  void continue_lessons();

 private:
  struct peer_state {
    peer_config config;
    std::string known_name;
    std::optional<connection_id> active;
    std::optional<connection_id> dialing;
    clock::time_point next_dial{};
    unsigned failures = 0;
    std::size_t next_address = 0;
    std::string address;  // of the current session
    std::vector<std::uint64_t> last_acked;  // sequence numbers (wire ids widened)
    std::vector<std::uint64_t> last_pushed;
    rate_limiter resync_limit{2s};
    std::uint64_t updates_sent = 0;
    std::uint64_t updates_received = 0;
  };

  // A lesson in progress: taught in chunks so the first bytes leave while the
  // rest is encoded; live pushes to that peer wait for its end.
  struct lesson {
    std::size_t table = 0;
    std::uint64_t after = 0;
  };

  struct connection {
    connection(session_role role, const std::vector<table_definition>& tables, std::size_t max,
               std::size_t max_tables, std::string addr, clock::time_point now)
        : session(role, tables, max, max_tables), address(std::move(addr)), opened(now),
          last_rx(now), last_tx(now) {}
    peer_session session;
    std::optional<std::size_t> peer;
    std::string address;
    clock::time_point opened, last_rx, last_tx;
    std::optional<lesson> teaching;
    bool secured = false;  // transport known (incoming) or TLS done (outgoing)
    bool tls = false;
    bool resync_deferred = false;  // a request beyond resync_interval, served at its end
  };

  enum class redial { backoff, collision };

  void set_tables();
  void set_peers();
  void layout_remote_names();
  void start_dial(std::size_t peer, clock::time_point now);
  void handle(connection_id id, connection& c, session_event& e);
  void on_hello(connection_id id, connection& c, const hello& h);
  void on_established(connection_id id, connection& c);
  void on_update(connection& c, std::size_t table, update_message& u);
  void teach(connection& c);
  void request_lesson(connection& c);
  // Before a put of `key` into `table`: at max_entries, a new key first evicts.
  void make_room(std::size_t table, std::string_view key);
  bool peer_usable(const peer_state& p, bool tls) const;
  void continue_lesson(connection& c);
  void push(connection& c);
  void drop(connection_id id, std::string_view reason, redial how = redial::backoff);
  update_message to_update(std::size_t table, std::string_view key, const stored_entry& e,
                           clock::time_point now, bool timed) const;
  clock::duration collision_delay();

  node_settings settings_;
  const clock& clock_;
  std::vector<sync_table> tables_;
  std::vector<table_definition> definitions_;  // per table; table_id is stable across reloads
  std::uint64_t next_table_id_ = 1;
  std::unordered_map<std::string, std::size_t> table_index_;
  std::vector<peer_state> peers_;
  std::unordered_map<connection_id, connection> connections_;
  connection_id next_id_ = 1;
  std::vector<dial_request> dials_;
  std::vector<std::pair<connection_id, bytes>> closing_;
  std::vector<session_end> session_ends_;
  // Learnt entries not yet taken (packed_changes): records, their count, the
  // name table, and per table the index of its name (its servers follow).
  std::string remote_records_;
  std::size_t remote_count_ = 0;
  std::vector<std::string> remote_names_;
  std::vector<std::size_t> remote_base_;
  std::vector<session_event> events_scratch_;
  bool needs_resync_ = true;
  std::optional<connection_id> teacher_;
  clock::time_point next_purge_{};
  clock::time_point resync_deadline_{};
  std::mt19937 random_;
  node_counters counters_;
};

}  // namespace lbha::sync
