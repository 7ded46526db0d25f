// Loopback helpers for the proxy's integration tests: in-test backends, a
// port reservation, and blocking client sockets with receive timeouts.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/asio.hpp"

namespace lbha::proxy::test_support {

using tcp = asio::ip::tcp;

// Holds <address>:<port> with SO_REUSEPORT but does not listen, so nothing
// else can take the port while the proxy's own SO_REUSEPORT listeners can.
class reserved_port {
 public:
  explicit reserved_port(const char* address = "127.0.0.1") : socket_(io_) {
    const auto ip = asio::ip::make_address(address);
    socket_.open(ip.is_v4() ? tcp::v4() : tcp::v6());
    const int one = 1;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    socket_.bind(tcp::endpoint(ip, 0));
  }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

// A real server on <address>:<ephemeral> (127.0.0.1 by default), run on its own thread.
//  - name_echo: sends "<name>\n", then echoes until the client half-closes,
//    then sends "bye\n" and closes.
//  - silent: accepts and never sends or closes.
//  - bulk: sends `bulk_bytes` bytes and closes.
//  - bulk_reset: sends `bulk_bytes` bytes as fast as they are taken, then resets.
//  - reset: sends "<name>\n", then resets the connection on the first bytes it receives.
//  - http: answers one HTTP request with `http_response` and closes.
class backend {
 public:
  enum class mode { name_echo, silent, bulk, bulk_reset, reset, http };

  explicit backend(std::string name, mode m = mode::name_echo, const char* address = "127.0.0.1")
      : name_(std::move(name)),
        mode_(m),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address(address), 0)) {
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~backend() { stop(); }

  std::uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }
  int accepted() const { return accepted_.load(); }
  // The address the last accepted connection came from ("" before any).
  std::string last_peer() {
    std::lock_guard lock(peer_mutex_);
    return last_peer_;
  }
  std::size_t bulk_bytes = 8 << 20;
  std::string http_response = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nI am fine\n";

  // Closes the listener and every open connection: the server "dies".
  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (auto& w : open_) {
        if (auto s = w.lock()) s->close(ec);
      }
      io_.stop();
    });
    thread_.join();
  }

 private:
  awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      auto s = std::make_shared<tcp::socket>(
          co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec)));
      if (ec) co_return;
      {
        std::lock_guard lock(peer_mutex_);
        boost::system::error_code peer_ec;
        const auto peer = s->remote_endpoint(peer_ec);
        last_peer_ = peer_ec ? "" : peer.address().to_string();
      }
      ++accepted_;
      open_.push_back(s);
      asio::co_spawn(io_, serve(s), asio::detached);
    }
  }

  awaitable<void> serve(std::shared_ptr<tcp::socket> s) {
    boost::system::error_code ec;
    auto tok = asio::redirect_error(use_awaitable, ec);
    if (mode_ == mode::silent) {
      char buf[4096];
      while (!ec) co_await s->async_read_some(asio::buffer(buf), tok);
      co_return;
    }
    if (mode_ == mode::bulk || mode_ == mode::bulk_reset) {
      std::vector<char> chunk(1 << 16, 'x');
      std::size_t left = bulk_bytes;
      while (left && !ec) {
        auto n = std::min(left, chunk.size());
        co_await asio::async_write(*s, asio::buffer(chunk.data(), n), tok);
        left -= n;
      }
      if (mode_ == mode::bulk_reset) reset(*s);
      s->close(ec);
      co_return;
    }
    if (mode_ == mode::reset) {
      const std::string hello = name_ + "\n";
      co_await asio::async_write(*s, asio::buffer(hello), tok);
      char buf[4096];
      co_await s->async_read_some(asio::buffer(buf), tok);
      reset(*s);
      s->close(ec);
      co_return;
    }
    if (mode_ == mode::http) {
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos && !ec) {
        auto n = co_await s->async_read_some(asio::buffer(buf), tok);
        request.append(buf, n);
      }
      co_await asio::async_write(*s, asio::buffer(http_response), tok);
      s->close(ec);
      co_return;
    }
    const std::string hello = name_ + "\n";
    co_await asio::async_write(*s, asio::buffer(hello), tok);
    char buf[4096];
    for (;;) {
      auto n = co_await s->async_read_some(asio::buffer(buf), tok);
      if (ec) break;
      co_await asio::async_write(*s, asio::buffer(buf, n), tok);
      if (ec) co_return;
    }
    if (ec == asio::error::eof) {
      co_await asio::async_write(*s, asio::buffer(std::string("bye\n")), tok);
    }
    s->close(ec);
  }

  static void reset(tcp::socket& s) {
    linger l{1, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }

  std::string name_;
  mode mode_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::atomic<int> accepted_{0};
  std::mutex peer_mutex_;
  std::string last_peer_;
  std::vector<std::weak_ptr<tcp::socket>> open_;
  std::thread thread_;
};

// A blocking client socket whose reads give up after `timeout`.
class client {
 public:
  explicit client(std::uint16_t port, const char* from = nullptr,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5),
                  const char* to = "127.0.0.1")
      : socket_(io_) {
    const auto ip = asio::ip::make_address(to);
    socket_.open(ip.is_v4() ? tcp::v4() : tcp::v6());
    if (from) socket_.bind(tcp::endpoint(asio::ip::make_address(from), 0));
    socket_.connect(tcp::endpoint(ip, port));
    set_timeout(timeout);
  }

  void set_timeout(std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000),
               static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  // One line without its "\n"; "" on EOF, error or timeout.
  std::string read_line() {
    std::string line;
    char c;
    for (;;) {
      const ssize_t n = ::recv(socket_.native_handle(), &c, 1, 0);
      if (n <= 0) return line.empty() ? std::string() : line;
      if (c == '\n') return line;
      line.push_back(c);
    }
  }

  void send(const std::string& data) {
    ::send(socket_.native_handle(), data.data(), data.size(), MSG_NOSIGNAL);
  }
  void shutdown_write() { ::shutdown(socket_.native_handle(), SHUT_WR); }

  // Reads until EOF; returns the byte count, or -1 on timeout/error.
  long long drain() {
    char buf[1 << 16];
    long long total = 0;
    for (;;) {
      const ssize_t n = ::recv(socket_.native_handle(), buf, sizeof buf, 0);
      if (n == 0) return total;
      if (n < 0) return -1;
      total += n;
    }
  }

  // True when the peer closed (EOF or reset) within the receive timeout.
  bool closed_by_peer() {
    char c;
    const ssize_t n = ::recv(socket_.native_handle(), &c, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void reset() {
    linger l{1, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    socket_.close();
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

// A real server address that never completes a handshake: a listener with a
// backlog of 0 whose accept queue is already full (one connection nobody
// accepts), so the kernel drops every further SYN and a connect to it hangs
// until the connecting side gives up. Stays on 127.0.0.1.
class blackhole {
 public:
  blackhole() : acceptor_(io_), filler_(io_) {
    acceptor_.open(tcp::v4());
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen(0);
    filler_.connect(acceptor_.local_endpoint());  // fills the queue; never accepted
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket filler_;
};

}  // namespace lbha::proxy::test_support
