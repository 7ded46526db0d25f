// off_thread: a blocking call (PAM, a gRPC read of the daemons, a commit) run
// on a worker pool while the calling coroutine waits without holding the io
// thread; the coroutine resumes on its own executor with the result. The
// WebUI's pages and /metrics share it.
#pragma once

#include <optional>
#include <type_traits>

#include "common/asio.hpp"

namespace lbha::web {

template <typename F>
awaitable<std::invoke_result_t<F>> off_thread(asio::thread_pool& workers, F fn) {
  using value = std::invoke_result_t<F>;
  // co_spawn hands its result back through a default-constructed value;
  // optional makes any result type fit.
  auto task = asio::co_spawn(
      workers,
      [fn = std::move(fn)]() mutable -> awaitable<std::optional<value>> {
        co_return std::optional<value>(fn());
      },
      use_awaitable);
  std::optional<value> out = co_await std::move(task);
  co_return std::move(*out);
}

}  // namespace lbha::web
