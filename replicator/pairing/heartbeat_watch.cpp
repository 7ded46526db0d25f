#include "replicator/pairing/heartbeat_watch.hpp"

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "lbha/v1/ha.grpc.pb.h"

namespace lbha::pairing {

heartbeat_watch::heartbeat_watch(std::filesystem::path socket, handlers on,
                                 std::chrono::milliseconds retry)
    : socket_(std::move(socket)), on_(std::move(on)), retry_(retry) {}

heartbeat_watch::~heartbeat_watch() { stop(); }

void heartbeat_watch::start() {
  thread_ = std::thread([this] { run(); });
}

void heartbeat_watch::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    if (stream_ != nullptr) stream_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void heartbeat_watch::run() {
  auto log = get_logger("replicatord");
  for (;;) {
    grpc::ClientContext ctx;
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stream_ = &ctx;
    }
    auto stub = lbha::v1::Ha::NewStub(unix_channel(socket_));
    auto reader = stub->WatchStatus(&ctx, lbha::v1::HaStatusRequest{});
    lbha::v1::HaStatus status;
    bool delivered = false;
    while (reader->Read(&status)) {
      if (!delivered) log->info("following heartbeatd's status on {}", socket_.string());
      delivered = true;
      on_.status(status);
    }
    reader->Finish();
    std::unique_lock lock(mutex_);
    stream_ = nullptr;
    if (stopped_) return;
    if (delivered) {
      log->info("heartbeatd's status stream ended; SSH polling covers catch-up until it is back");
      lock.unlock();
      on_.lost();
      lock.lock();
    }
    wake_.wait_for(lock, retry_, [this] { return stopped_; });
  }
}

}  // namespace lbha::pairing
