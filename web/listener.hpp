// listener: accepts TCP connections on one address and hands each socket to
// a connection handler (the HTTPS session or the HTTP redirect).
//
// Lifecycle: open() binds (errors are results: the port taken, the address
// not ours), start() runs the accept loop on the io thread, stop() closes the
// acceptor and shuts down every connection still open so their reads end and
// io_context::run() drains by itself. At most `max_connections` are open at
// once; one more is closed as soon as it is accepted, so a flood of idle
// connections costs file descriptors up to that bound and no more.
// Everything runs on the io thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

#include "common/asio.hpp"
#include "common/result.hpp"

namespace lbha::web {

class listener {
 public:
  using connection_handler = std::function<awaitable<void>(asio::ip::tcp::socket)>;

  listener(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::size_t max_connections,
           connection_handler handler);

  result<void> open();
  void start();
  void stop();

  // The bound port (the one the kernel chose for port 0).
  std::uint16_t port() const;
  std::size_t open_connections() const { return open_.size(); }

 private:
  awaitable<void> do_accept();
  awaitable<void> do_serve(asio::ip::tcp::socket socket);

  asio::io_context& io_;
  asio::ip::tcp::endpoint endpoint_;
  std::size_t max_connections_;
  connection_handler handler_;
  asio::ip::tcp::acceptor acceptor_;
  // Native handles of the connections being served, so stop() can end them.
  std::map<std::uint64_t, int> open_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace lbha::web
