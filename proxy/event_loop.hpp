// One data-plane thread's event loop: an edge-triggered epoll set that the
// thread blocks on directly, deadline timers, and work posted from other
// threads.
//
// Why not Asio's io_context: relayed sockets must be watched edge-triggered
// (a short read says the socket is drained, so no read is wasted on EAGAIN),
// and an epoll set of our own nested inside Asio's costs every wake-up an
// extra epoll_wait and an epoll_ctl re-arm, plus a nested wake-up in the
// kernel on every packet. With 50 keep-alive clients on two cores the nested
// loop relayed about 15 % fewer requests per second than HAProxy; this one
// relays more (proxy/README.md has the figures).
//
// One wake-up: epoll_wait (bounded by the earliest timer), the ready
// handlers of the batch, then posted work, due timers and deferred work,
// all on the loop's thread. Handlers may close their own descriptors; an
// object that can be closed by a handler while later events of the same
// batch still point at it is kept alive with defer() until the batch ends.
//
// Lifecycle: construct, run() on the owning thread until stop(), destroy
// (after run() returned). Posted work that never ran is destroyed with the
// loop, so a task that owns a resource releases it in its destructor.
//
// Concurrency: post() and stop() from any thread; everything else on the
// loop's thread.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "proxy/timer_queue.hpp"

namespace lbha::proxy {

// Called by the loop when a watched descriptor reports events.
class ready_handler {
 public:
  virtual void on_ready(std::uint32_t events) = 0;

 protected:
  ~ready_handler() = default;
};

class event_loop {
 public:
  // Throws std::system_error when the kernel refuses an epoll set or an eventfd.
  event_loop();
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  void run();
  void stop();
  void post(std::function<void()> fn);

  // Watches `fd` (edge-triggered) for input, output and hang-up until it is
  // closed; false (errno set) on failure.
  bool watch(int fd, ready_handler* handler);
  // Stops watching `fd` before it is closed: needed when a copy of it lives
  // on elsewhere (handed to the next proxyd), since epoll forgets a
  // descriptor only once every copy is closed.
  void unwatch(int fd);
  void schedule(timer& t, time_point at) { timers_.schedule(t, at); }
  void cancel(timer& t) { timers_.cancel(t); }
  // Runs `fn` on this thread once the current batch is over.
  void defer(std::function<void()> fn) { deferred_.push_back(std::move(fn)); }
  // steady_clock at the start of the current wake-up: one clock read per
  // batch rather than one per relayed message.
  time_point now() const { return now_; }

 private:
  int wait_timeout() const;
  void run_posted();
  void run_deferred();

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: posted work is waiting
  std::array<::epoll_event, 256> events_{};
  timer_queue timers_;
  std::vector<std::function<void()>> deferred_;
  std::vector<std::function<void()>> running_;  // deferred work being run; kept for its capacity
  time_point now_{};
  std::atomic<bool> stopping_{false};

  std::mutex mutex_;  // guards posted_ and wake_pending_
  std::vector<std::function<void()>> posted_;
  bool wake_pending_ = false;
};

}  // namespace lbha::proxy
