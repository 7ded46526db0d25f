#include "heartbeatd/readiness.hpp"

#include <optional>

#include "common/grpc_unix.hpp"
#include "common/restart_notice.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::heartbeat {

using namespace std::chrono_literals;

void proxyd_readiness::start(handler on_change) {
  const auto socket = socket_path(run_dir_, "proxyd");
  thread_ = std::thread([this, socket, on_change = std::move(on_change)] {
    auto stub = lbha::v1::Proxy::NewStub(unix_channel(socket));
    std::optional<bool> last;
    while (!*stopping_) {
      bool ready = false;
      std::error_code ec;
      if (std::filesystem::exists(socket, ec)) {
        // A proxyd that restarted since the last poll is asked again: the
        // channel retries its socket every 100 ms (grpc_unix.hpp).
        auto ctx = context_with_deadline(300ms);
        lbha::v1::ReadyReply reply;
        ready = stub->Ready(ctx.get(), lbha::v1::ReadyRequest{}, &reply).ok() && reply.ready();
      }
      // A proxyd restarting on purpose (it handed its connections to the
      // next one) is not a failed one while its announced bound lasts.
      if (!ready && last == true && restart_announced(run_dir_)) ready = true;
      if (ready != last) {
        last = ready;
        asio::post(io_, [stopping = stopping_, on_change, ready] {
          if (!*stopping) on_change(ready);
        });
      }
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, 500ms, [this] { return stopping_->load(); });
    }
  });
}

void proxyd_readiness::stop() {
  {
    std::lock_guard lock(mutex_);
    *stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lbha::heartbeat
