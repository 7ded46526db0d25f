// One data-plane thread: its event loop, the listeners it accepts on, the
// sessions it relays and pools of spare pipes (for splice(2)) and buffers.
//
// Lifecycle and concurrency: the engine creates N workers, each running its
// own event_loop on its own thread (no strand, no lock on the data path).
// Every worker binds its own listening socket for every VIP:port with
// SO_REUSEPORT, so the kernel spreads new connections over the threads.
// Listeners, sessions and pipes belong to their worker and are touched only
// on its thread; the engine changes them through call(), which runs work on
// the worker's thread and waits for it. Sessions link themselves into the
// worker's intrusive list so halt and stop can close them.
#pragma once

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
#include "common/result.hpp"
#include "common/run_posted.hpp"
#include "lbha/v1/proxy.pb.h"
#include "proxy/event_loop.hpp"
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

// How the kernel schedules the data-plane threads.
//  - batch (default): SCHED_BATCH at the process's nice level. A woken worker
//    does not preempt the thread that woke it (a real server, a client, the
//    other worker on a shared core); it runs when that thread blocks, and then
//    finds several events waiting instead of one. On two cores shared with
//    wrk and nginx this relays 10-15 % more requests per second at a lower
//    p99 than SCHED_OTHER (proxy/README.md). On idle cores it changes nothing:
//    a woken thread that has a core to itself runs at once.
//  - normal: SCHED_OTHER, the default of every process.
enum class worker_scheduling { batch, normal };

// What every worker shares with the engine.
struct data_plane_context {
  stick_table* table = nullptr;
  std::optional<asio::ip::address> source_address;
  // Every worker (filled before any listener opens), so that a listener can
  // hand a new connection to a less loaded sibling.
  const std::vector<std::unique_ptr<worker>>* workers = nullptr;
  worker_scheduling scheduling = worker_scheduling::batch;
  // Under --user: capabilities (CAP_* numbers) each worker thread keeps in
  // its permitted set only, through the drop to the user: CAP_NET_RAW,
  // raised just around a transparent socket's IP_TRANSPARENT. The thread
  // keeps its capabilities through the drop (started before it) and
  // engine::narrow_worker_capabilities() then leaves it only these.
  // Empty: the thread keeps the process's capabilities as they are.
  std::vector<int> permitted_capabilities;
};

// Accepts on one VIP:port for one worker: accept4(2) until the queue is
// drained each time the loop reports it readable. Owned by its worker's
// listener map; closed and dropped there on the worker's thread.
class listener : public std::enable_shared_from_this<listener>, public ready_handler {
 public:
  listener(worker& w, std::shared_ptr<virtual_service_state> service, asio::ip::tcp::endpoint at);
  ~listener();

  // Opens, binds (IP_FREEBIND, SO_REUSEPORT) and listens; an error message on failure.
  result<void> open();
  // Uses `fd`, a socket the previous proxyd listened on, instead of open().
  void adopt(int fd) { fd_ = fd; }
  // Stops accepting and gives the socket away (to the next proxyd), still
  // listening, its queue intact; -1 when closed.
  int release();
  void start();
  void close();
  void set_service(std::shared_ptr<virtual_service_state> s) { service_ = std::move(s); }
  const asio::ip::tcp::endpoint& at() const { return at_; }
  const std::shared_ptr<virtual_service_state>& service() const { return service_; }

  void on_ready(std::uint32_t events) override;

 private:
  void do_accept();

  worker& worker_;
  std::shared_ptr<virtual_service_state> service_;
  asio::ip::tcp::endpoint at_;
  int fd_ = -1;
  timer backoff_{[this] { do_accept(); }};
  bool accept_deferred_ = false;
};

class worker {
 public:
  explicit worker(data_plane_context context);
  ~worker();

  void start();
  // Closes listeners and sessions, ends the loop, joins the thread.
  void stop();
  // After the drop to --user: leaves this worker's thread only the context's
  // permitted_capabilities (none effective). Waits for it.
  result<void> narrow_capabilities();

  // Runs `fn` on the worker's thread and waits for its result; from any
  // other thread, while the worker runs.
  template <typename F>
  auto call(F fn) -> decltype(fn()) {
    return run_posted([this](std::function<void()> task) { loop_.post(std::move(task)); },
                      std::move(fn));
  }

  event_loop& loop() { return loop_; }
  const data_plane_context& context() const { return context_; }
  pipe_pool& pipes() { return pipes_; }
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

  // Handing over to the next proxyd, on this thread, in two steps over every
  // worker (so no connection can be handed from a sibling in between):
  // release_listeners() stops accepting and gives the listening sockets away,
  // hand_over_sessions() records and gives every session (session::hand_over).
  void release_listeners(std::vector<int>& fds);
  void hand_over_sessions(v1::ProxyHandover& out, std::vector<int>& fds);
  // A session taken over from the previous proxyd counts in this worker's load.
  void add_load() { load_.fetch_add(1, std::memory_order_relaxed); }

  // Liveness for the daemon's watchdog, from one other thread (the control
  // loop): ask_beat() posts a beat that the loop counts when it runs;
  // beat_answered() says whether the last one asked has run. A wedged loop
  // never answers.
  void ask_beat();
  bool beat_answered() const { return answered_.load(std::memory_order_acquire) == asked_; }

 private:
  // Declared so that the loop is destroyed after the listeners (their
  // timers are in its queue) and before the pipes and the session list (work
  // it still holds ends sessions, which give their pipes back).
  data_plane_context context_;
  pipe_pool pipes_;
  buffer_pool buffers_;
  session_list sessions_;
  event_loop loop_;
  std::thread thread_;
  std::atomic<std::size_t> load_{0};
  std::uint64_t asked_ = 0;  // the asking thread's
  std::atomic<std::uint64_t> answered_{0};
  std::map<asio::ip::tcp::endpoint, std::shared_ptr<listener>> listeners_;
};

}  // namespace lbha::proxy
