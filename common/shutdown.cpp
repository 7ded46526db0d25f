#include "common/shutdown.hpp"

#include <csignal>

#include "common/logging.hpp"

namespace lbha {

void shutdown_sequence::push(std::string name, std::function<void()> step) {
  steps_.push_back({std::move(name), std::move(step)});
}

void shutdown_sequence::run() {
  if (done_) return;
  done_ = true;
  auto log = get_logger("shutdown");
  while (!steps_.empty()) {
    auto e = std::move(steps_.back());
    steps_.pop_back();
    log->debug("stopping {}", e.name);
    e.step();
  }
}

signal_watcher::signal_watcher(asio::io_context& io, shutdown_sequence& sequence,
                               std::function<void()> on_reload, std::function<void()> on_stop)
    : signals_(io, SIGINT, SIGTERM),
      sequence_(sequence),
      on_reload_(std::move(on_reload)),
      on_stop_(std::move(on_stop)) {
  signals_.add(SIGHUP);
  do_wait();
}

void signal_watcher::stop() {
  stopped_ = true;
  boost::system::error_code ignored;
  signals_.cancel(ignored);
}

void signal_watcher::do_wait() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (ec || stopped_) return;  // cancelled
    if (signo == SIGHUP) {
      get_logger("shutdown")->info("SIGHUP: reload");
      if (on_reload_) on_reload_();
      if (!stopped_) do_wait();  // the reload may have shut the daemon down
      return;
    }
    if (on_stop_ && !stop_asked_) {
      stop_asked_ = true;
      get_logger("shutdown")->info("signal {}: stopping (a second one stops at once)", signo);
      on_stop_();
      if (!stopped_) do_wait();
      return;
    }
    get_logger("shutdown")->info("signal {}: shutting down", signo);
    sequence_.run();
  });
}

}  // namespace lbha
