// Follows the local heartbeatd's status stream (lbha.v1.Ha WatchStatus on
// <run-dir>/heartbeatd.sock) so the primary hears at once when the peer's
// heartbeats carry an older config generation than ours.
//
// Lifecycle: start() spawns one thread that connects, reads statuses until
// the stream ends (heartbeatd absent, restarting or stopping), reports the
// loss and reconnects every `retry`. stop() cancels the stream in progress and
// joins the thread.
//
// Concurrency: the handlers run on the watch thread; replicatord's post the
// work to its io_context. gRPC's blocking reader is the reason for the thread
// (Boost 1.74 has no way to await a gRPC stream).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "lbha/v1/ha.pb.h"

namespace lbha::pairing {

class heartbeat_watch {
 public:
  struct handlers {
    std::function<void(const lbha::v1::HaStatus&)> status;  // every status heartbeatd sends
    std::function<void()> lost;  // a stream that had delivered statuses ended
  };

  heartbeat_watch(std::filesystem::path socket, handlers on, std::chrono::milliseconds retry);
  ~heartbeat_watch();
  heartbeat_watch(const heartbeat_watch&) = delete;
  heartbeat_watch& operator=(const heartbeat_watch&) = delete;

  void start();
  void stop();

 private:
  void run();

  std::filesystem::path socket_;
  handlers on_;
  std::chrono::milliseconds retry_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopped_ = false;
  grpc::ClientContext* stream_ = nullptr;  // the stream in progress, for stop()
};

}  // namespace lbha::pairing
