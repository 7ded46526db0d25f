// One data-plane thread: an io_context, the listeners it accepts on, the
// sessions it relays, a poller for their sockets and a pool of spare pipes
// for splice(2).
//
// Lifecycle and concurrency: the engine creates N workers, each running its
// own io_context on its own thread (no strand, no lock on the data path).
// Every worker binds its own acceptor for every VIP:port with SO_REUSEPORT, so
// the kernel spreads new connections over the threads. Listeners, sessions and
// pipes belong to their worker and are touched only on its thread; the engine
// changes them by posting work to the worker (run_on). Sessions link
// themselves into the worker's intrusive list so halt and stop can close them.
//
// Why a poller of our own: Asio 1.74 learns that a socket is drained only
// from a failed read, so every relayed message costs a read that returns
// EAGAIN (or, waiting for readiness instead, an epoll_ctl). The relay
// poller is an edge-triggered epoll set, itself waited on through the
// io_context: a short read tells the session the socket is drained, the next
// edge that it has more, and a batch of events costs one wait however many
// sockets it covers. Timers and posted work stay with Asio.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <boost/intrusive/list.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/asio.hpp"
#include "proxy/service_state.hpp"
#include "proxy/stick_table.hpp"

namespace lbha::proxy {

class session;
class worker;

using session_hook =
    boost::intrusive::list_base_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>;
using session_list = boost::intrusive::list<session, boost::intrusive::base_hook<session_hook>,
                                            boost::intrusive::constant_time_size<false>>;

// A pipe for splicing one direction of one connection; reused when empty.
struct splice_pipe {
  int read_end = -1;
  int write_end = -1;
  bool valid() const { return read_end >= 0; }
};

class pipe_pool {
 public:
  ~pipe_pool();
  // A pipe, or an invalid one when the system is out of file descriptors.
  splice_pipe take();
  // Returns `p`; only an empty pipe may be reused, so the caller says.
  void give(splice_pipe p, bool empty);

 private:
  std::vector<splice_pipe> spare_;
};

// Receive buffers for the small-transfer path, reused across sessions.
class buffer_pool {
 public:
  static constexpr std::size_t size = 16384;
  std::unique_ptr<char[]> take() {
    if (spare_.empty()) return std::make_unique<char[]>(size);
    auto b = std::move(spare_.back());
    spare_.pop_back();
    return b;
  }
  void give(std::unique_ptr<char[]> b) {
    if (b && spare_.size() < 1024) spare_.push_back(std::move(b));
  }

 private:
  std::vector<std::unique_ptr<char[]>> spare_;
};

// Called by the relay poller when a watched descriptor reports events.
class ready_handler {
 public:
  virtual void on_ready(std::uint32_t events) = 0;

 protected:
  ~ready_handler() = default;
};

// An edge-triggered epoll set for one worker's listeners and relayed sockets.
// A descriptor leaves it when it is closed (they are never duplicated).
// Handlers run on the worker's thread; a handler may close its own
// descriptor but must stay alive until the batch it is called from ends.
class relay_poller {
 public:
  explicit relay_poller(asio::io_context& io);
  ~relay_poller();

  // Watches `fd` for input, output and hang-up; false (errno set) on failure.
  bool watch(int fd, ready_handler* handler);
  void start();
  void close();

 private:
  void wait();
  void dispatch();

  asio::posix::stream_descriptor epoll_;
  std::array<::epoll_event, 256> events_{};
};

// What every worker shares with the engine.
struct data_plane_context {
  stick_table* table = nullptr;
  std::optional<asio::ip::address> source_address;
  // Every worker (filled before any listener opens), so that a listener can
  // hand a new connection to a less loaded sibling.
  const std::vector<std::unique_ptr<worker>>* workers = nullptr;
};

// Accepts on one VIP:port for one worker: accept4(2) until the queue is
// drained each time the poller reports it readable.
class listener : public std::enable_shared_from_this<listener>, public ready_handler {
 public:
  listener(worker& w, std::shared_ptr<virtual_service_state> service, asio::ip::tcp::endpoint at);

  // Opens, binds (IP_FREEBIND, SO_REUSEPORT) and listens; an error message on failure.
  std::optional<std::string> open();
  void start();
  void close();
  void set_service(std::shared_ptr<virtual_service_state> s) { service_ = std::move(s); }
  const std::shared_ptr<virtual_service_state>& service() const { return service_; }

  void on_ready(std::uint32_t events) override;

 private:
  void do_accept();

  worker& worker_;
  std::shared_ptr<virtual_service_state> service_;
  asio::ip::tcp::endpoint at_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer backoff_;
  bool accept_posted_ = false;
};

class worker {
 public:
  explicit worker(data_plane_context context);
  ~worker();

  void start();
  // Closes listeners and sessions, lets the io_context drain, joins the thread.
  void stop();

  asio::io_context& io() { return io_; }
  const data_plane_context& context() const { return context_; }
  pipe_pool& pipes() { return pipes_; }
  relay_poller& poller() { return poller_; }
  buffer_pool& buffers() { return buffers_; }
  session_list& sessions() { return sessions_; }
  // Listeners by VIP endpoint; on this worker's thread only.
  std::map<asio::ip::tcp::endpoint, std::shared_ptr<listener>>& listeners() { return listeners_; }

  // Open sessions, including those handed over and not yet started. Any thread.
  std::size_t load() const { return load_.load(std::memory_order_relaxed); }
  void release_load() { load_.fetch_sub(1, std::memory_order_relaxed); }

  // Starts a session for an accepted connection on the least loaded worker:
  // this one, unless a sibling has at least two fewer sessions. SO_REUSEPORT
  // hashes connections onto the workers' queues, and fifty connections can
  // land 29 / 21; the busier thread's clients then see the longer tail.
  // Takes ownership of `fd`. On this thread.
  void assign(int fd, const asio::ip::tcp::endpoint& peer,
              const std::shared_ptr<virtual_service_state>& service, std::uint16_t vip_port);

  // Closes every session whose real server is `server` (halt). On this thread.
  void close_sessions_of(const real_server_state* server);
  void close_all();

 private:
  // Declared so that the io_context is destroyed after the listeners (their
  // acceptors use it) and before the pipes and the session list (handlers it
  // still holds end sessions, which give their pipes back).
  data_plane_context context_;
  pipe_pool pipes_;
  buffer_pool buffers_;
  session_list sessions_;
  asio::io_context io_{1};
  relay_poller poller_{io_};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
  std::thread thread_;
  std::atomic<std::size_t> load_{0};
  std::map<asio::ip::tcp::endpoint, std::shared_ptr<listener>> listeners_;
};

}  // namespace lbha::proxy
