// lbha-syncd's I/O shell around sync_node.
//
// One io_context thread. syncd owns the TCP acceptor (port 7778 by
// default), the peer sockets, a 100 ms tick timer and the table_port to
// proxyd; every event goes into sync_node, and after each one flush()
// carries out what the node asks for: dial, write, close after writing,
// apply learnt entries to proxyd. Outgoing sockets are bound to the listen
// address when it is a specific one, so the peer sees the address it has
// configured for us (several nodes on 127.0.0.x in tests).
//
// stop() closes the acceptor, the sockets and the timer so run() returns.
#pragma once

#include <array>
#include <deque>
#include <memory>
#include <unordered_map>

#include "common/asio.hpp"
#include "common/clock.hpp"
#include "common/result.hpp"
#include "lbha/v1/sync.pb.h"
#include "replicator/sync/sync_node.hpp"
#include "replicator/sync/table_port.hpp"

namespace lbha::sync {

struct syncd_options {
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 7778;  // 0 = any (tests)
  clock::duration tick_interval = 100ms;
  clock::duration connect_timeout = 5s;
};

class syncd {
 public:
  syncd(asio::io_context& io, node_settings settings, syncd_options options, table_port& table,
        const clock& clock);

  result<void> start();
  void stop();

  // A reloaded configuration (SIGHUP): see sync_node::reconfigure. The
  // listener stays. Returns whether anything changed.
  bool reconfigure(node_settings settings);

  std::uint16_t port() const { return port_; }
  lbha::v1::SyncStatus status() const;
  const sync_node& node() const { return node_; }

 private:
  using tcp = asio::ip::tcp;
  struct link {
    explicit link(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<std::uint8_t, 65536> read_buffer;
    std::deque<bytes> queue;
    bool writing = false;
    bool close_after = false;
  };

  void do_accept();
  void do_tick();
  void do_dial(dial_request d);
  void do_read(connection_id id, std::shared_ptr<link> l);
  void do_write(connection_id id, std::shared_ptr<link> l);
  void finish(connection_id id);
  void flush();

  asio::io_context& io_;
  syncd_options options_;
  table_port& table_;
  const clock& clock_;
  sync_node node_;
  tcp::acceptor acceptor_;
  asio::steady_timer tick_timer_;
  std::unordered_map<connection_id, std::shared_ptr<link>> links_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  bool lesson_posted_ = false;
  std::uint64_t bytes_sent_ = 0;
  std::uint64_t bytes_received_ = 0;
};

}  // namespace lbha::sync
