// lbha-sync-bench: two lbha-syncd daemons on loopback (127.0.0.2 and
// 127.0.0.3), each on its own thread and io_context, with in-memory proxyd
// tables. Modes:
//   resync N        A holds N IPv4 entries; B starts and asks for a full
//                   resync: time until B's table has all N, bytes on the wire.
//   lag RATE SECS   A's proxyd creates RATE entries/s for SECS seconds: the
//                   delay from creation on A to application on B, p50/p99.
//   push HOST PORT N  act as peer "stickd" of a HAProxy peer "hap1" at
//                   HOST:PORT and push N entries into its table be_app.
// Prints RESULT lines for bench/sync.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "replicator/sync/syncd.hpp"

using namespace lbha;
using namespace lbha::sync;
using wall = std::chrono::steady_clock;

namespace {

// A proxyd table double owned by one daemon's io thread.
class bench_table final : public table_port {
 public:
  void start(handlers h) override {
    handlers_ = std::move(h);
    handlers_.on_connected();
  }
  void apply(std::vector<table_change> entries) override {
    const auto now = wall::now();
    for (auto& e : entries) {
      if (on_entry) on_entry(e, now);
    }
    applied += entries.size();
  }
  void stop() override {}
  bool connected() const override { return true; }
  void local(std::vector<table_change> changes) { handlers_.on_local(std::move(changes)); }

  std::function<void(const table_change&, wall::time_point)> on_entry;
  std::atomic<std::size_t> applied{0};

 private:
  handlers handlers_;
};

bytes ipv4(std::uint32_t n) {
  // 10.0.0.0/8-style spread over the key space; these keys never leave the process.
  return {static_cast<std::uint8_t>(10 + (n >> 24)), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

node_settings settings(std::string name, std::string peer_name, std::string peer, std::uint16_t port,
                       std::string table) {
  node_settings s;
  s.local_name = std::move(name);
  s.peers = {{.name = std::move(peer_name), .addresses = {std::move(peer)}, .port = port}};
  s.tables = {{.name = std::move(table), .key = key_type::ipv4, .expire_ms = 1800000,
               .servers = {"s1", "s2"}}};
  return s;
}

std::uint16_t free_port(const char* address) {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address(address), 0});
  return a.local_endpoint().port();
}

// One daemon on its own thread.
struct node_thread {
  node_thread(node_settings s, syncd_options o) {
    daemon = std::make_unique<syncd>(io, std::move(s), o, table, clock);
    if (!daemon->start()) {
      std::fprintf(stderr, "cannot start syncd\n");
      std::exit(1);
    }
    thread = std::thread([this] {
      auto guard = asio::make_work_guard(io);
      io.run();
    });
  }
  ~node_thread() {
    asio::post(io, [this] { daemon->stop(); });
    io.stop();
    thread.join();
  }
  template <typename F>
  auto on_io(F f) {
    return run_on(io, std::move(f));
  }
  asio::io_context io;
  lbha::steady_clock clock;
  bench_table table;
  std::unique_ptr<syncd> daemon;
  std::thread thread;
};

void fill(node_thread& n, std::uint32_t count, const std::string& table) {
  for (std::uint32_t first = 0; first < count; first += 10000) {
    std::vector<table_change> batch;
    for (std::uint32_t i = first; i < std::min(count, first + 10000); ++i) {
      batch.push_back({table, ipv4(i), i % 2 ? "s1" : "s2", 1800000});
    }
    n.on_io([&] { n.table.local(std::move(batch)); });
  }
}

int resync(std::uint32_t count) {
  const auto port_a = free_port("127.0.0.2"), port_b = free_port("127.0.0.3");
  node_thread a(settings("lbha-a", "", "127.0.0.3", port_b, "web"),
                {.listen_address = "127.0.0.2", .port = port_a});
  fill(a, count, "web");
  // A has been running alone long enough to count as synced, like the
  // surviving node when its partner restarts.
  while (a.on_io([&] { return a.daemon->status().resync_pending(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto start = wall::now();
  node_thread b(settings("lbha-b", "", "127.0.0.2", port_a, "web"),
                {.listen_address = "127.0.0.3", .port = port_b});
  while (b.table.applied < count) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (wall::now() - start > std::chrono::seconds(120)) {
      std::fprintf(stderr, "resync incomplete: %zu of %u\n", b.table.applied.load(), count);
      return 1;
    }
  }
  const double seconds = std::chrono::duration<double>(wall::now() - start).count();
  const auto status = b.on_io([&] { return b.daemon->status(); });
  std::printf("RESULT resync_1m_s=%.3f\n", seconds);
  std::printf("RESULT resync_entries=%u\n", count);
  std::printf("RESULT resync_bytes=%llu\n", static_cast<unsigned long long>(status.bytes_received()));
  std::printf("RESULT bytes_per_entry=%.1f\n", static_cast<double>(status.bytes_received()) / count);
  return 0;
}

int lag(std::uint32_t rate, std::uint32_t seconds) {
  const auto port_a = free_port("127.0.0.2"), port_b = free_port("127.0.0.3");
  node_thread a(settings("lbha-a", "", "127.0.0.3", port_b, "web"),
                {.listen_address = "127.0.0.2", .port = port_a});
  node_thread b(settings("lbha-b", "", "127.0.0.2", port_a, "web"),
                {.listen_address = "127.0.0.3", .port = port_b});
  const std::uint32_t total = rate * seconds;
  std::vector<wall::time_point> created(total), seen(total);
  b.on_io([&] {
    b.table.on_entry = [&](const table_change& e, wall::time_point now) {
      const std::uint32_t n = (std::uint32_t{e.key[0]} - 10) << 24 | std::uint32_t{e.key[1]} << 16 |
                              std::uint32_t{e.key[2]} << 8 | e.key[3];
      if (n < total && seen[n] == wall::time_point{}) seen[n] = now;
    };
  });
  while (!a.on_io([&] { return a.daemon->status().peers(0).connected(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // 1 ms batches at the requested rate.
  const auto start = wall::now();
  std::uint32_t next = 0;
  for (std::uint32_t tick = 0; next < total; ++tick) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1000) * tick);
    const std::uint32_t due = std::min<std::uint64_t>(total, std::uint64_t{rate} * (tick + 1) / 1000);
    std::vector<table_change> batch;
    const auto now = wall::now();
    for (; next < due; ++next) {
      created[next] = now;
      batch.push_back({"web", ipv4(next), next % 2 ? "s1" : "s2", 1800000});
    }
    if (!batch.empty()) asio::post(a.io, [&a, batch = std::move(batch)]() mutable { a.table.local(std::move(batch)); });
  }
  const auto deadline = wall::now() + std::chrono::seconds(10);
  while (b.table.applied < total && wall::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::vector<double> lags;
  for (std::uint32_t i = 0; i < total; ++i) {
    if (seen[i] == wall::time_point{}) continue;
    lags.push_back(std::chrono::duration<double, std::milli>(seen[i] - created[i]).count());
  }
  if (lags.size() < total) std::fprintf(stderr, "lag: %zu of %u entries arrived\n", lags.size(), total);
  if (lags.empty()) return 1;
  std::sort(lags.begin(), lags.end());
  std::printf("RESULT lag_entries=%zu\n", lags.size());
  std::printf("RESULT lag_rate_per_s=%u\n", rate);
  std::printf("RESULT lag_p50_ms=%.3f\n", lags[lags.size() / 2]);
  std::printf("RESULT lag_p99_ms=%.3f\n", lags[lags.size() * 99 / 100]);
  return lags.size() == total ? 0 : 1;
}

int push(const std::string& host, std::uint16_t port, std::uint16_t our_port, std::uint32_t count) {
  node_thread n(settings("stickd", "hap1", host, port, "be_app"), {.listen_address = host, .port = our_port});
  while (!n.on_io([&] { return n.daemon->status().peers(0).connected(); })) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  fill(n, count, "be_app");
  // Wait until everything is on the wire and the session has been quiet a moment.
  std::uint64_t last = 0;
  for (int stable = 0; stable < 20;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto sent = n.on_io([&] { return n.daemon->status().bytes_sent(); });
    stable = sent == last ? stable + 1 : 0;
    last = sent;
  }
  std::printf("pushed %u entries (%llu bytes)\n", count, static_cast<unsigned long long>(last));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  lbha::set_log_level(std::getenv("LBHA_BENCH_DEBUG") ? spdlog::level::info : spdlog::level::warn);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "resync" && argc == 3) return resync(static_cast<std::uint32_t>(std::stoul(argv[2])));
  if (mode == "lag" && argc == 4) {
    return lag(static_cast<std::uint32_t>(std::stoul(argv[2])), static_cast<std::uint32_t>(std::stoul(argv[3])));
  }
  if (mode == "push" && argc == 6) {
    return push(argv[2], static_cast<std::uint16_t>(std::stoul(argv[3])),
                static_cast<std::uint16_t>(std::stoul(argv[4])), static_cast<std::uint32_t>(std::stoul(argv[5])));
  }
  std::fprintf(stderr, "usage: lbha-sync-bench resync N | lag RATE SECONDS | push HOST HAPROXY_PORT OUR_PORT N\n");
  return 2;
}
