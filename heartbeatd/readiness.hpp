// readiness_source: is the local proxyd ready? A health bit in our heartbeats.
//
// proxyd_readiness is the real one: a worker thread asks proxyd's gRPC
// Proxy.Ready on <run-dir>/proxyd.sock every 500 ms (300 ms deadline; no
// socket means not ready) and posts each change to the io_context, where
// on_change runs. The test double (tests/heartbeatd/doubles.hpp) reports
// whatever the test sets.
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "common/asio.hpp"

namespace lbha::heartbeat {

class readiness_source {
 public:
  using handler = std::function<void(bool ready)>;
  virtual ~readiness_source() = default;
  // on_change runs on the io_context thread, first with the initial state.
  virtual void start(handler on_change) = 0;
  // After stop() returns, on_change is not called again.
  virtual void stop() = 0;
};

class proxyd_readiness final : public readiness_source {
 public:
  proxyd_readiness(asio::io_context& io, std::filesystem::path run_dir)
      : io_(io), run_dir_(std::move(run_dir)) {}
  ~proxyd_readiness() override { stop(); }

  void start(handler on_change) override;
  void stop() override;

 private:
  asio::io_context& io_;
  std::filesystem::path run_dir_;
  std::thread thread_;
  // Shared with posted results: set by stop(), so a result posted before it is ignored.
  std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace lbha::heartbeat
