// Runs work on another thread's loop and waits for its result.
//
// gRPC handlers and the engine's callers run on threads that do not own the
// state they touch; they hand the work to the owner (an io_context, a
// data-plane event loop) and block until it has run. The owner's `post`
// must run the task exactly once, on its thread; exceptions thrown there
// are rethrown to the caller.
#pragma once

#include <functional>
#include <future>
#include <type_traits>

namespace lbha {

template <typename Post, typename F>
auto run_posted(Post post, F fn) -> decltype(fn()) {
  using R = decltype(fn());
  std::promise<R> promise;
  auto future = promise.get_future();
  post(std::function<void()>([&promise, &fn] {
    try {
      if constexpr (std::is_void_v<R>) {
        fn();
        promise.set_value();
      } else {
        promise.set_value(fn());
      }
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }));
  return future.get();
}

}  // namespace lbha
