// A faketime-style wall clock for one container LB node (partition_test.cpp,
// the clock-step scenario): preloaded into every process of that node through
// the node's own /etc/ld.so.preload, it adds an offset to CLOCK_REALTIME as
// seen by clock_gettime(), gettimeofday(), time() and timespec_get().
// CLOCK_MONOTONIC and CLOCK_BOOTTIME are untouched, as a real step leaves them.
//
// Why a shim: the lab's containers share the host's CLOCK_REALTIME (Linux has
// no time namespace for it), so `date -s` would step the whole host, the peer
// and every other test running on it. The shim steps one node only, without a
// test hook in the product.
//
// The offset is a native int64 of milliseconds in /run/lbha-lab-clock-offset
// (the node's own /run), mapped once and read on every call, so the test
// steps the clock by rewriting those 8 bytes while the daemons run. No file:
// offset 0 (the shim looks again at most once a second).
//
// Limits: absolute CLOCK_REALTIME deadlines handed to the kernel
// (pthread_cond_timedwait, timerfd with TFD_TIMER_ABSTIME, clock_nanosleep)
// are not shifted; lbha times every interval on the steady clock.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

namespace {

constexpr const char* offset_file = "/run/lbha-lab-clock-offset";

std::int64_t* mapped = nullptr;  // set once, read with atomics
std::int64_t last_try_s = -1000;

int raw_clock_gettime(clockid_t id, timespec* ts) {
  return static_cast<int>(::syscall(SYS_clock_gettime, id, ts));
}

std::int64_t offset_ms() {
  auto* map = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE);
  if (map == nullptr) {
    timespec now{};
    raw_clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - __atomic_load_n(&last_try_s, __ATOMIC_RELAXED) < 1) return 0;
    __atomic_store_n(&last_try_s, static_cast<std::int64_t>(now.tv_sec), __ATOMIC_RELAXED);
    const int fd = ::open(offset_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    void* p = ::mmap(nullptr, sizeof(std::int64_t), PROT_READ, MAP_SHARED, fd, 0);
    ::close(fd);
    if (p == MAP_FAILED) return 0;
    std::int64_t* expected = nullptr;
    if (!__atomic_compare_exchange_n(&mapped, &expected, static_cast<std::int64_t*>(p), false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
      ::munmap(p, sizeof(std::int64_t));  // another thread mapped it first
    }
    map = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE);
  }
  return __atomic_load_n(map, __ATOMIC_RELAXED);
}

bool is_realtime(clockid_t id) {
  return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE || id == CLOCK_TAI;
}

void shift(timespec* ts, std::int64_t ms) {
  std::int64_t ns = static_cast<std::int64_t>(ts->tv_nsec) + (ms % 1000) * 1'000'000;
  std::int64_t s = static_cast<std::int64_t>(ts->tv_sec) + ms / 1000;
  if (ns < 0) {
    ns += 1'000'000'000;
    --s;
  } else if (ns >= 1'000'000'000) {
    ns -= 1'000'000'000;
    ++s;
  }
  ts->tv_sec = static_cast<time_t>(s);
  ts->tv_nsec = static_cast<long>(ns);
}

}  // namespace

extern "C" {

int clock_gettime(clockid_t id, timespec* ts) noexcept {
  const int r = raw_clock_gettime(id, ts);
  if (r == 0 && is_realtime(id)) shift(ts, offset_ms());
  return r;
}

int gettimeofday(timeval* tv, void* /*tz*/) noexcept {
  timespec ts{};
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

time_t time(time_t* out) noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out != nullptr) *out = ts.tv_sec;
  return ts.tv_sec;
}

int timespec_get(timespec* ts, int base) noexcept {
  if (base != TIME_UTC || clock_gettime(CLOCK_REALTIME, ts) != 0) return 0;
  return base;
}

}  // extern "C"
