#include "proxy/event_loop.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace lbha::proxy {

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}

}  // namespace

event_loop::event_loop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) {
    ::close(epoll_fd_);
    fail("eventfd");
  }
  ::epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;  // the wake-up descriptor; no handler
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    ::close(wake_fd_);
    ::close(epoll_fd_);
    fail("epoll_ctl");
  }
  now_ = std::chrono::steady_clock::now();
}

event_loop::~event_loop() {
  // Whatever did not run is destroyed here, releasing what it owns.
  deferred_.clear();
  posted_.clear();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool event_loop::watch(int fd, ready_handler* handler) {
  ::epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = handler;
  return ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void event_loop::unwatch(int fd) { ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr); }

void event_loop::post(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    posted_.push_back(std::move(fn));
    wake = !wake_pending_;
    wake_pending_ = true;
  }
  if (wake) {
    const std::uint64_t one = 1;
    // Cannot fail short of a closed descriptor: the counter is reset at
    // every wake-up, far from its limit.
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void event_loop::stop() {
  stopping_.store(true, std::memory_order_relaxed);
  post([] {});  // wakes the loop if it is waiting
}

int event_loop::wait_timeout() const {
  if (!deferred_.empty()) return 0;
  const auto next = timers_.next_deadline();
  if (!next) return -1;
  const auto now = std::chrono::steady_clock::now();
  if (*next <= now) return 0;
  // Rounded up: waking before the deadline would only wait again.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
}

void event_loop::run() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    const int n = ::epoll_wait(epoll_fd_, events_.data(), static_cast<int>(events_.size()),
                               wait_timeout());
    if (n < 0 && errno != EINTR) fail("epoll_wait");
    now_ = std::chrono::steady_clock::now();
    bool woken = false;
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<ready_handler*>(events_[i].data.ptr);
      if (handler) {
        handler->on_ready(events_[i].events);
      } else {
        woken = true;
      }
    }
    // Outside the batch: posted work (a reload, a halt) may close what a
    // later event of the batch still pointed at.
    run_deferred();
    if (woken) run_posted();
    timers_.expire(now_);
    run_deferred();
  }
}

void event_loop::run_posted() {
  std::uint64_t count;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(mutex_);
    work.swap(posted_);
    wake_pending_ = false;
  }
  for (auto& fn : work) fn();
}

void event_loop::run_deferred() {
  // Only what is queued now: work deferred by this work waits for the next
  // wake-up (which then does not block), so a continuation cannot starve I/O.
  if (deferred_.empty()) return;
  running_.swap(deferred_);
  for (auto& fn : running_) fn();
  running_.clear();
}

}  // namespace lbha::proxy
