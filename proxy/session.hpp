// One client connection relayed to one real server.
//
// Lifecycle: created by a listener on accept; start() picks a server (stick
// table, then balancer), connects with the connect timeout and, on failure,
// tries up to two other servers; with none left it uses the fallback server
// or closes the client at once. Then both directions are relayed: first with
// recv(2) into a pooled 16 KiB buffer, sent once the loop's batch of events
// is over (flush_held, deferred: the receiver is woken once per batch, not
// once per message), and once a read fills the buffer, with splice(2)
// through a pooled pipe (zero copy in the kernel). Bytes a send could not take wait in the same
// pipe. A direction that reads end-of-stream shuts down the write side of the other socket once its
// pipe is flushed (half-close); the session ends when both directions are done, on an error or
// reset, on the idle timeout, or when the engine closes it (halt, stop).
//
// Readiness: both sockets are plain descriptors in the worker's
// edge-triggered event loop. Each side remembers whether it may be read or
// written; a short read or EAGAIN clears the flag and the next edge sets it
// again, so a drained socket is never read just to learn that it is empty
// (except after the peer hung up: see side::hung_up).
//
// The session keeps itself alive (self_) from start() until close(), which
// hands that reference to the loop to drop once the batch of events it was
// closed in is over; a flush deferred before that runs first and finds the
// session closed. Its one timer is a member, cancelled by close().
//
// Idle timeouts: while the last byte moved went client -> server the session
// is waiting on the server and the server timeout applies; otherwise (nothing
// yet, or the last byte went to the client) it is waiting on the client and
// the client timeout applies. One timer per session, re-armed lazily.
//
// Concurrency: used only on its worker's thread; counters it updates are atomics.
#pragma once

#include <array>
#include <chrono>
#include <memory>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "lbha/v1/proxy.pb.h"
#include "proxy/address.hpp"
#include "proxy/service_state.hpp"
#include "proxy/worker.hpp"

namespace lbha::proxy {

class session : public std::enable_shared_from_this<session>, public session_hook {
 public:
  // Takes ownership of `client_fd` (non-blocking, accepted).
  session(worker& w, int client_fd, asio::ip::tcp::endpoint peer,
          std::shared_ptr<virtual_service_state> service, std::uint16_t vip_port);
  ~session();

  void start();
  void close();

  // Handing over to the next proxyd (proxy/handover.hpp). hand_over() puts
  // what the session holds into `out` (for a relaying session every byte it
  // received and has not passed on, and the half-closes), appends its
  // sockets to `fds` (open, no longer watched: the caller stores and closes
  // them) and closes the session here. A session still connecting hands only
  // its client socket, from which nothing was read: the next proxyd starts
  // it afresh. False when nothing could be handed (already closed, or a
  // socket the peer had reset).
  bool hand_over(v1::HandedSession& out, std::vector<int>& fds);
  // The other end: this session (made with the handed client socket)
  // resumes relaying to `server` over `server_fd`, with `record`'s pending
  // bytes and half-closes. Takes ownership of `server_fd`.
  void resume(const v1::HandedSession& record, int server_fd,
              std::shared_ptr<real_server_state> server, bool fallback);
  const real_server_state* server() const { return server_.get(); }

 private:
  // One socket and what the loop last told us about it.
  struct side final : ready_handler {
    side(session& s, bool is_server) : owner(s), server(is_server) {}
    void on_ready(std::uint32_t events) override { owner.on_ready(*this, events); }
    session& owner;
    const bool server;
    int fd = -1;
    bool readable = true;
    bool writable = true;
    // The peer has shut down (or reset): a short read no longer means the
    // socket is drained, since the end of stream behind the data makes no
    // edge of its own. Read until recv says 0 or EAGAIN.
    bool hung_up = false;
  };
  struct direction {
    splice_pipe pipe;
    std::size_t in_pipe = 0;
    std::size_t held = 0;  // received into `buffer`, sent when the batch ends
    bool eof = false;
    bool done = false;
    bool bulk = false;  // splice from the socket instead of receiving into `buffer`
    std::unique_ptr<char[]> buffer;
  };
  enum class phase { connecting, relaying, closed };

  void on_ready(side& s, std::uint32_t events);
  void connect_next();
  void on_connect(const boost::system::error_code& ec);
  void close_server_socket();
  void note_read(std::size_t n, bool upstream);
  boost::system::error_code connect_result();
  // A transparent service's server socket could not take the client's address.
  void refuse_transparent(const error& why);
  void arm_timer(time_point at);
  void on_timer();
  void pump(bool upstream);
  void flush_held(bool upstream);
  bool take_pipe(direction& d);
  // Sends `n` buffered bytes of `d` to `out`, parking what it cannot take in
  // the pipe; false when the session was closed.
  bool relay_buffer(direction& d, side& out, std::size_t n);
  // What `d` received and has not sent: the pipe's bytes, then the buffer's.
  bool export_direction(direction& d, v1::HandedDirection& out);
  bool import_direction(direction& d, const v1::HandedDirection& in);
  void release_server();

  worker& worker_;
  side client_{*this, false};
  side server_side_{*this, true};
  timer timer_{[this] { on_timer(); }};
  std::shared_ptr<session> self_;
  std::shared_ptr<virtual_service_state> service_;
  std::shared_ptr<const pool> pool_;
  std::shared_ptr<real_server_state> server_;
  asio::ip::tcp::endpoint peer_;  // the client
  client_key client_key_;
  std::uint16_t vip_port_;
  std::array<const real_server_state*, 3> tried_{};
  std::size_t attempts_ = 0;
  bool used_fallback_ = false;
  direction up_;    // client -> server
  direction down_;  // server -> client
  phase phase_ = phase::connecting;
  bool waiting_on_server_ = false;
  time_point last_activity_;
};

}  // namespace lbha::proxy
