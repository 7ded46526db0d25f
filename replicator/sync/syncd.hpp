// lbha-syncd's I/O shell around sync_node.
//
// One io_context thread. syncd owns one TCP acceptor per local address (port
// 7778 by default; never the wildcard), the peer links, a 100 ms tick timer
// and the table_port to proxyd; every event goes into sync_node, and after
// each one flush() carries out what the node asks for: dial, write, close
// after writing, apply learnt entries to proxyd. Outgoing sockets are bound
// to the local address matching the dialled peer address, so the peer sees
// the address it has configured for us.
//
// Security (README "Security"): the pair's links are TLS with pair.pem
// (tls_identity), both ways verified; a plain link only for a peer marked
// plain. An incoming link is admitted by connection_limits, then its first
// byte says TLS (a ClientHello, 0x16) or plain, then sync_node decides
// whether a peer at that address may use that transport; the node's
// handshake timeout covers TCP, TLS and the hello. A write that does not
// finish within write_timeout drops the link. Accept errors (EMFILE...) are
// retried after a backoff, logged once per interval.
//
// stop() closes the acceptors, the links and the timers so run() returns.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>

#include "common/asio_ssl.hpp"
#include "common/clock.hpp"
#include "common/event_hooks.hpp"
#include "common/result.hpp"
#include "common/state/pair_certificate.hpp"
#include "lbha/v1/sync.pb.h"
#include "replicator/sync/limits.hpp"
#include "replicator/sync/sync_node.hpp"
#include "replicator/sync/table_port.hpp"
#include "replicator/sync/tls_identity.hpp"

namespace lbha::sync {

struct syncd_options {
  std::vector<std::string> listen_addresses{};  // node.yaml local_addresses, or --listen
  std::uint16_t port = 7778;                    // 0 = any (tests; the same port on every address)
  // pair.pem; nullopt = not paired: TLS peers are neither dialled nor accepted.
  std::optional<state::pair_certificate> identity{};
  clock::duration tick_interval = 100ms;
  clock::duration connect_timeout = 5s;
  clock::duration write_timeout = 10s;
  port_limits limits{};
  clock::duration accept_retry_first = 100ms;
  clock::duration accept_retry_max = 1s;
  clock::duration accept_log_interval = 10s;
};

struct syncd_counters {
  std::uint64_t over_limit = 0;  // connections refused by connection_limits
  std::uint64_t write_timeouts = 0;
  std::uint64_t accept_errors = 0;
};

class syncd {
 public:
  syncd(asio::io_context& io, node_settings settings, syncd_options options, table_port& table,
        const clock& clock);

  result<void> start();
  void stop();

  // A reloaded configuration (SIGHUP) and pair.pem as it is now: see
  // sync_node::reconfigure (a new pair.pem redials every peer). The
  // listeners stay. Returns whether anything changed.
  bool reconfigure(node_settings settings, std::optional<state::pair_certificate> identity);

  std::uint16_t port() const { return port_; }
  lbha::v1::SyncStatus status() const;
  const sync_node& node() const { return node_; }
  const syncd_counters& counters() const { return counters_; }
  // Where sync_peer_disconnected alerts go (a live session ended); io thread.
  void set_alert_sink(std::function<void(alert_event)> sink) { alert_sink_ = std::move(sink); }
  // status()'s alert_hooks: the daemon's alert hook counters.
  void set_alert_counters(std::function<hook_counters()> read) { alert_counters_ = std::move(read); }

 private:
  using tcp = asio::ip::tcp;
  using tls_stream = asio::ssl::stream<tcp::socket>;
  struct link {
    link(tcp::socket s, asio::io_context& io) : plain(std::move(s)), write_timer(io) {}
    tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

    std::optional<tcp::socket> plain;  // moved into `tls` when the link is TLS
    std::unique_ptr<tls_stream> tls;
    std::shared_ptr<tls_identity> identity;     // keeps the context alive
    std::optional<std::string> counted_source;  // incoming: released from limits_ at the end
    std::array<std::uint8_t, 65536> read_buffer;
    std::deque<bytes> queue;
    asio::steady_timer write_timer;
    bool writing = false;
    bool close_after = false;
  };
  struct listener {
    explicit listener(asio::io_context& io) : acceptor(io), retry(io) {}
    tcp::acceptor acceptor;
    asio::steady_timer retry;
  };

  static std::shared_ptr<tls_identity> make_identity(
      const std::optional<state::pair_certificate>& pair);
  void do_accept(listener& l);
  void on_accept_error(listener& l, const boost::system::error_code& ec);
  void do_sniff(connection_id id, std::shared_ptr<link> l);
  void do_server_handshake(connection_id id, std::shared_ptr<link> l);
  void do_tick();
  void do_dial(dial_request d);
  void do_client_handshake(connection_id id, std::shared_ptr<link> l);
  void do_read(connection_id id, std::shared_ptr<link> l);
  void do_write(connection_id id, std::shared_ptr<link> l);
  void finish(connection_id id);
  void flush();

  asio::io_context& io_;
  syncd_options options_;
  std::shared_ptr<tls_identity> identity_;
  table_port& table_;
  const clock& clock_;
  sync_node node_;
  std::vector<std::unique_ptr<listener>> listeners_;
  asio::steady_timer tick_timer_;
  std::unordered_map<connection_id, std::shared_ptr<link>> links_;
  connection_limits limits_;
  retry_backoff accept_backoff_;
  rate_limiter accept_log_;
  std::uint64_t accept_errors_unlogged_ = 0;
  syncd_counters counters_;
  std::function<void(alert_event)> alert_sink_;
  std::function<hook_counters()> alert_counters_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  bool lesson_posted_ = false;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
};

}  // namespace lbha::sync
