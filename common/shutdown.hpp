// Graceful LIFO shutdown.
//
// A daemon registers a stop step for each component as it starts it; on
// SIGINT or SIGTERM the steps run in reverse order (last started, first
// stopped), each exactly once, on the io_context's thread. Closing acceptors
// and sockets in those steps lets io_context::run() return by itself.
// SIGHUP calls the optional reload handler instead.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/asio.hpp"

namespace lbha {

class shutdown_sequence {
 public:
  // Registers `step` to run at shutdown, before every step registered earlier.
  void push(std::string name, std::function<void()> step);

  // Runs the registered steps in LIFO order. Later calls do nothing.
  void run();

  bool done() const { return done_; }

 private:
  struct entry {
    std::string name;
    std::function<void()> step;
  };
  std::vector<entry> steps_;
  bool done_ = false;
};

// Listens for SIGINT/SIGTERM (→ sequence.run()) and SIGHUP (→ on_reload).
// With `on_stop`, the first SIGINT/SIGTERM calls it instead (a daemon that
// has work to finish before it lets go: heartbeatd's handover) and a second
// one runs the sequence at once.
class signal_watcher {
 public:
  signal_watcher(asio::io_context& io, shutdown_sequence& sequence,
                 std::function<void()> on_reload = {}, std::function<void()> on_stop = {});

  void stop();

 private:
  void do_wait();

  asio::signal_set signals_;
  shutdown_sequence& sequence_;
  std::function<void()> on_reload_;
  std::function<void()> on_stop_;
  bool stopped_ = false;
  bool stop_asked_ = false;
};

}  // namespace lbha
