// lbha-sync-bench: the client side of bench/sync. It talks to real
// lbha-proxyd and lbha-syncd processes over their gRPC sockets, except in
// `push`, where it is itself an lbha-syncd (in-process, in-memory table) used
// to fill a HAProxy. Modes:
//   fill PROXYD_SOCK TABLE N      stick N IPv4 entries in proxyd's table as its
//                                 own decisions (ApplyTable, local), which its
//                                 syncd then replicates.
//   wait-entries PROXYD_SOCK N S  poll proxyd's GetStatus every 2 ms until its
//                                 table holds N entries (S seconds at most).
//   wait-synced SYNCD_SOCK N      until syncd holds N entries and is not
//                                 waiting for a resync.
//   syncd-bytes SYNCD_SOCK        bytes syncd received on TCP 7778.
//   lag PROXYD_A PROXYD_B TABLE RATE SECS
//                                 create RATE entries/s on A's proxyd for SECS
//                                 seconds; watch B's proxyd (WatchTable with
//                                 remote entries) and report creation -> visible
//                                 on B, p50/p99.
//   push HOST PORT OUR_PORT N     act as peer "stickd" of a HAProxy peer "hap1"
//                                 at HOST:PORT and push N entries into its
//                                 table be_app.
// Prints RESULT lines for bench/sync.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"
#include "replicator/sync/syncd.hpp"
#include "tests/replicator/sync/fake_table.hpp"

using namespace lbha;
using namespace lbha::sync;
using wall = std::chrono::steady_clock;

namespace {

bytes ipv4(std::uint32_t n) {
  // 10.0.0.0/8-style spread over the key space; these keys never leave the process.
  return {static_cast<std::uint8_t>(10 + (n >> 24)), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

node_settings settings(std::string name, std::string peer_name, std::string peer, std::uint16_t port,
                       std::string table) {
  node_settings s;
  s.local_name = std::move(name);
  s.peers = {{.name = std::move(peer_name), .addresses = {std::move(peer)}, .port = port, .plain = true}};
  s.tables = {{.name = std::move(table), .key = key_type::ipv4, .expire_ms = 1800000,
               .servers = {"s1", "s2"}}};
  return s;
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
  fake_table table;  // the tests' table_port double
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

std::string ipv4_string(std::uint32_t n) {
  const auto b = ipv4(n);
  return std::string(b.begin(), b.end());
}

std::uint32_t ipv4_index(const std::string& k) {
  if (k.size() != 4) return UINT32_MAX;
  const auto* b = reinterpret_cast<const std::uint8_t*>(k.data());
  return (std::uint32_t{b[0]} - 10) << 24 | std::uint32_t{b[1]} << 16 | std::uint32_t{b[2]} << 8 | b[3];
}

std::unique_ptr<lbha::v1::Proxy::Stub> proxy_stub(const std::string& sock) {
  return lbha::v1::Proxy::NewStub(unix_channel(sock));
}

int fill_proxyd(const std::string& sock, const std::string& table, std::uint32_t count) {
  auto stub = proxy_stub(sock);
  grpc::ClientContext context;
  lbha::v1::ProxyResult result;
  auto writer = stub->ApplyTable(&context, &result);
  for (std::uint32_t first = 0; first < count; first += 10000) {
    lbha::v1::StickBatch batch;
    batch.set_local(true);
    for (std::uint32_t i = first; i < std::min(count, first + 10000); ++i) {
      auto* e = batch.add_entries();
      e->set_virtual_service(table);
      e->set_client(ipv4_string(i));
      e->set_real_server(i % 2 ? "s1" : "s2");
      e->set_expires_in_ms(1800000);
    }
    if (!writer->Write(batch)) break;
  }
  writer->WritesDone();
  const auto status = writer->Finish();
  std::printf("fill: %s %s\n", status.ok() ? "ok" : status.error_message().c_str(),
              result.message().c_str());
  return status.ok() ? 0 : 1;
}

int wait_entries(const std::string& sock, std::uint64_t count, double seconds) {
  auto stub = proxy_stub(sock);
  const auto start = wall::now();
  std::uint64_t have = 0;
  while (wall::now() - start < std::chrono::duration<double>(seconds)) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    lbha::v1::ProxyStatus status;
    if (stub->GetStatus(&context, {}, &status).ok()) {
      have = status.stick_entries();
      if (have >= count) return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::fprintf(stderr, "wait-entries: %llu of %llu after %.0f s\n",
               static_cast<unsigned long long>(have), static_cast<unsigned long long>(count), seconds);
  return 1;
}

std::optional<lbha::v1::SyncStatus> syncd_status(const std::string& sock) {
  auto stub = lbha::v1::Sync::NewStub(unix_channel(sock));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  lbha::v1::SyncStatus status;
  if (!stub->GetStatus(&context, {}, &status).ok()) return std::nullopt;
  return status;
}

int wait_synced(const std::string& sock, std::uint64_t count) {
  const auto deadline = wall::now() + std::chrono::seconds(120);
  while (wall::now() < deadline) {
    if (auto s = syncd_status(sock); s && !s->resync_pending() && s->tables_size() > 0 &&
                                     s->tables(0).entries() >= count) {
      return 0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "wait-synced: syncd did not reach %llu entries\n",
               static_cast<unsigned long long>(count));
  return 1;
}

int syncd_bytes(const std::string& sock) {
  auto s = syncd_status(sock);
  if (!s) return 1;
  std::printf("%llu\n", static_cast<unsigned long long>(s->bytes_received()));
  return 0;
}

// Keys 0x0b000000 + i, apart from what `fill` uses.
constexpr std::uint32_t lag_base = 1u << 24;

int lag(const std::string& sock_a, const std::string& sock_b, const std::string& table,
        std::uint32_t rate, std::uint32_t seconds) {
  const std::uint32_t total = rate * seconds;
  std::vector<wall::time_point> created(total), seen(total);
  std::atomic<std::uint32_t> arrived{0};

  auto stub_b = proxy_stub(sock_b);
  grpc::ClientContext watch_context;
  lbha::v1::WatchTableRequest request;
  request.set_include_remote(true);
  auto watch = stub_b->WatchTable(&watch_context, request);
  std::thread watcher([&] {
    lbha::v1::StickBatch batch;
    while (watch->Read(&batch)) {
      const auto now = wall::now();
      for (const auto& e : batch.entries()) {
        const std::uint32_t n = ipv4_index(e.client()) - lag_base;
        if (n < total && seen[n] == wall::time_point{}) {
          seen[n] = now;
          arrived.fetch_add(1, std::memory_order_release);
        }
      }
    }
  });
  // A's own published changes too: splits a delay into A's proxyd and the rest.
  std::vector<wall::time_point> on_a(total);
  auto stub_a_watch = proxy_stub(sock_a);
  grpc::ClientContext watch_a_context;
  auto watch_a = stub_a_watch->WatchTable(&watch_a_context, lbha::v1::WatchTableRequest{});
  std::thread watcher_a([&] {
    lbha::v1::StickBatch batch;
    while (watch_a->Read(&batch)) {
      const auto now = wall::now();
      for (const auto& e : batch.entries()) {
        const std::uint32_t n = ipv4_index(e.client()) - lag_base;
        if (n < total && on_a[n] == wall::time_point{}) on_a[n] = now;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the watches are open

  // Connect to A before the clock starts: a channel connects lazily, and that
  // first connection is not replication lag.
  auto stub_a = proxy_stub(sock_a);
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    lbha::v1::ProxyStatus status;
    stub_a->GetStatus(&context, {}, &status);
  }
  grpc::ClientContext apply_context;
  lbha::v1::ProxyResult result;
  auto writer = stub_a->ApplyTable(&apply_context, &result);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the stream is open
  // 1 ms batches at the requested rate.
  const auto start = wall::now();
  std::uint32_t next = 0;
  for (std::uint32_t tick = 0; next < total; ++tick) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(1000) * tick);
    const std::uint32_t due = std::min<std::uint64_t>(total, std::uint64_t{rate} * (tick + 1) / 1000);
    if (due == next) continue;
    lbha::v1::StickBatch batch;
    batch.set_local(true);
    const std::uint32_t first = next;
    for (; next < due; ++next) {
      auto* e = batch.add_entries();
      e->set_virtual_service(table);
      e->set_client(ipv4_string(lag_base + next));
      e->set_real_server(next % 2 ? "s1" : "s2");
      e->set_expires_in_ms(1800000);
    }
    const auto now = wall::now();
    for (std::uint32_t i = first; i < next; ++i) created[i] = now;
    if (!writer->Write(batch)) {
      std::fprintf(stderr, "lag: ApplyTable to A failed\n");
      break;
    }
  }
  writer->WritesDone();
  writer->Finish();
  const auto deadline = wall::now() + std::chrono::seconds(10);
  while (arrived.load(std::memory_order_acquire) < total && wall::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  watch_context.TryCancel();
  watcher.join();
  watch->Finish();
  watch_a_context.TryCancel();
  watcher_a.join();
  watch_a->Finish();
  std::vector<double> lags;
  double worst = 0;
  std::uint32_t worst_at = 0;
  for (std::uint32_t i = 0; i < total; ++i) {
    if (seen[i] == wall::time_point{} || created[i] == wall::time_point{}) continue;
    lags.push_back(std::chrono::duration<double, std::milli>(seen[i] - created[i]).count());
    if (lags.back() > worst) worst = lags.back(), worst_at = i;
  }
  // Where the worst delay fell: a stall at the start, or one in the run.
  std::printf("worst lag %.3f ms for the entry created %.3f s into the run (%.3f ms of it until A's proxyd published it)\n", worst,
              std::chrono::duration<double>(created[worst_at] - start).count(),
              on_a[worst_at] == wall::time_point{} ? -1.0
                  : std::chrono::duration<double, std::milli>(on_a[worst_at] - created[worst_at]).count());
  if (lags.size() < total) std::fprintf(stderr, "lag: %zu of %u entries arrived\n", lags.size(), total);
  if (lags.empty()) return 1;
  std::sort(lags.begin(), lags.end());
  std::printf("RESULT lag_entries=%zu\n", lags.size());
  std::printf("RESULT lag_rate_per_s=%u\n", rate);
  std::printf("RESULT lag_p50_ms=%.3f\n", lags[lags.size() / 2]);
  std::printf("RESULT lag_p99_ms=%.3f\n", lags[lags.size() * 99 / 100]);
  std::printf("RESULT lag_max_ms=%.3f\n", lags.back());
  return lags.size() == total ? 0 : 1;
}

int push(const std::string& host, std::uint16_t port, std::uint16_t our_port, std::uint32_t count) {
  node_thread n(settings("stickd", "hap1", host, port, "be_app"), {.listen_addresses = {host}, .port = our_port});
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
  auto u32 = [&](int i) { return static_cast<std::uint32_t>(std::stoul(argv[i])); };
  if (mode == "fill" && argc == 5) return fill_proxyd(argv[2], argv[3], u32(4));
  if (mode == "wait-entries" && argc == 5) return wait_entries(argv[2], u32(3), std::stod(argv[4]));
  if (mode == "wait-synced" && argc == 4) return wait_synced(argv[2], u32(3));
  if (mode == "syncd-bytes" && argc == 3) return syncd_bytes(argv[2]);
  if (mode == "lag" && argc == 7) return lag(argv[2], argv[3], argv[4], u32(5), u32(6));
  if (mode == "push" && argc == 6) {
    return push(argv[2], static_cast<std::uint16_t>(u32(3)), static_cast<std::uint16_t>(u32(4)), u32(5));
  }
  std::fprintf(stderr,
               "usage: lbha-sync-bench fill PROXYD_SOCK TABLE N | wait-entries PROXYD_SOCK N SECONDS |\n"
               "       wait-synced SYNCD_SOCK N | syncd-bytes SYNCD_SOCK |\n"
               "       lag PROXYD_A PROXYD_B TABLE RATE SECONDS | push HOST HAPROXY_PORT OUR_PORT N\n");
  return 2;
}
