// One client connection relayed to one real server.
//
// Lifecycle: created by a listener on accept; start() picks a server (stick
// table, then balancer), connects with the connect timeout and, on failure,
// tries up to two other servers; with none left it uses the fallback server
// or closes the client at once. Then both directions are relayed: first
// with Asio receives into a pooled 16 KiB buffer and a direct send (Asio's
// speculative receive avoids the epoll re-arm a readiness wait costs per
// message), and once a read fills the buffer, with splice(2) through a pooled
// pipe (zero copy in the kernel). Bytes a send could not take wait in the same
// pipe. A direction that reads
// end-of-stream shuts down the write side of the other socket once its pipe
// is flushed (half-close); the session ends when both directions are done,
// on an error or reset, on the idle timeout, or when the engine closes it
// (halt, stop). Handlers hold a shared_ptr, so the object dies after the
// last one has run.
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
#include "proxy/address.hpp"
#include "proxy/service_state.hpp"
#include "proxy/worker.hpp"

namespace lbha::proxy {

class session : public std::enable_shared_from_this<session>, public session_hook {
 public:
  session(worker& w, asio::ip::tcp::socket client, asio::ip::tcp::endpoint peer,
          std::shared_ptr<virtual_service_state> service, std::uint16_t vip_port);
  ~session();

  void start();
  void close();
  const real_server_state* server() const { return server_.get(); }

 private:
  struct direction {
    splice_pipe pipe;
    std::size_t in_pipe = 0;
    bool eof = false;
    bool done = false;
    bool bulk = false;  // splice from the socket instead of receiving into `buffer`
    std::unique_ptr<char[]> buffer;
  };
  enum class phase { connecting, relaying, closed };

  void connect_next();
  void on_connect(const boost::system::error_code& ec);
  void receive_small(bool upstream);
  void on_small(bool upstream, const boost::system::error_code& ec, std::size_t n);
  void wait_readable(bool upstream);
  void note_read(std::size_t n, bool upstream);
  boost::system::error_code connect_result();
  void arm_timer(std::chrono::steady_clock::time_point at);
  void on_timer(const boost::system::error_code& ec);
  void pump(bool upstream);
  bool take_pipe(direction& d);
  void release_server();

  worker& worker_;
  asio::ip::tcp::socket client_;
  asio::ip::tcp::socket server_socket_;
  asio::steady_timer timer_;
  std::shared_ptr<virtual_service_state> service_;
  std::shared_ptr<const pool> pool_;
  std::shared_ptr<real_server_state> server_;
  client_key client_key_;
  std::uint16_t vip_port_;
  std::array<const real_server_state*, 3> tried_{};
  std::size_t attempts_ = 0;
  bool used_fallback_ = false;
  direction up_;    // client -> server
  direction down_;  // server -> client
  phase phase_ = phase::connecting;
  bool waiting_on_server_ = false;
  std::chrono::steady_clock::time_point last_activity_;
};

}  // namespace lbha::proxy
