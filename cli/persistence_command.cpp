// lbctl persistence show [--service NAME]: proxyd's persistence (stick) table,
// one row per client: service, client address, real server, time left.
//
// Reads the live table through Proxy.SnapshotTable, the stream syncd uses for
// its initial copy (batches of 1000 entries, `entries` only; `packed` is
// ApplyTable's bulk form and never sent here). It names clients, so the access
// table (common/grpc_access.cpp) keeps it a change method: root or lbha-admin.
// Rows are sorted by service, then client address, so two nodes' outputs can
// be compared line by line (the lab's audit does: tests/lab/audit.hpp).
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "cli/commands.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/render.hpp"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

namespace {

// A table of a million entries streams in about a second; a hung proxyd is
// still reported as not answering.
constexpr std::chrono::milliseconds snapshot_timeout{10000};

struct row {
  std::string service;
  std::string client_bytes;  // network order, for sorting
  std::string client;        // printed address
  std::string server;
  std::uint32_t expires_in_ms = 0;
};

std::string address_text(const std::string& bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  if (bytes.size() == 4 && ::inet_ntop(AF_INET, bytes.data(), text, sizeof(text))) return text;
  if (bytes.size() == 16 && ::inet_ntop(AF_INET6, bytes.data(), text, sizeof(text))) return text;
  return "invalid(" + std::to_string(bytes.size()) + " bytes)";
}

// 1799500 -> "29m59s", 3605000 -> "1h00m05s", 850 -> "850ms".
std::string time_left(std::uint32_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  const std::uint32_t s = ms / 1000;
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof(text), "%uh%02um%02us", s / 3600, s / 60 % 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof(text), "%um%02us", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof(text), "%us", s);
  }
  return text;
}

std::string render_text(const std::vector<row>& rows, const std::string& service) {
  std::ostringstream out;
  if (rows.empty()) {
    out << "no persistence entries" << (service.empty() ? "" : " for " + service) << "\n";
    return out.str();
  }
  std::size_t widths[3] = {7, 6, 6};  // SERVICE, CLIENT, SERVER
  for (const auto& r : rows) {
    widths[0] = std::max(widths[0], r.service.size());
    widths[1] = std::max(widths[1], r.client.size());
    widths[2] = std::max(widths[2], r.server.size());
  }
  const auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                        const std::string& d) {
    out << a << std::string(widths[0] - a.size() + 2, ' ') << b
        << std::string(widths[1] - b.size() + 2, ' ') << c
        << std::string(widths[2] - c.size() + 2, ' ') << d << "\n";
  };
  line("SERVICE", "CLIENT", "SERVER", "EXPIRES IN");
  for (const auto& r : rows) line(r.service, r.client, r.server, time_left(r.expires_in_ms));
  out << rows.size() << (rows.size() == 1 ? " entry\n" : " entries\n");
  return out.str();
}

std::string render_json(const std::vector<row>& rows) {
  std::ostringstream out;
  out << "{\"schema\": \"lbha.persistence.v1\", \"entries\": [";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    out << (i == 0 ? "\n  " : ",\n  ") << "{\"service\": " << json_string(r.service)
        << ", \"client\": " << json_string(r.client) << ", \"server\": " << json_string(r.server)
        << ", \"expires_in_ms\": " << r.expires_in_ms << "}";
  }
  out << (rows.empty() ? "]}\n" : "\n]}\n");
  return out.str();
}

void run_show(const std::string& service, cli_context& context) {
  auto ctx = context_with_deadline(snapshot_timeout);
  auto stub = stub_for<v1::Proxy>(context, "proxyd");
  auto reader = stub->SnapshotTable(ctx.get(), v1::SnapshotTableRequest{});
  std::vector<row> rows;
  v1::StickBatch batch;
  while (reader->Read(&batch)) {
    for (const auto& e : batch.entries()) {
      if (!service.empty() && e.virtual_service() != service) continue;
      rows.push_back({e.virtual_service(), e.client(), address_text(e.client()), e.real_server(),
                      e.expires_in_ms()});
    }
  }
  if (!rpc_ok(context, "proxyd", reader->Finish())) return;
  // IPv4 (4 bytes) before IPv6 (16), then by address.
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return std::tuple(a.service, a.client_bytes.size(), a.client_bytes, a.server) <
           std::tuple(b.service, b.client_bytes.size(), b.client_bytes, b.server);
  });
  *context.out << (context.json ? render_json(rows) : render_text(rows, service));
  context.exit_code = exit_code::ok;
}

}  // namespace

void add_persistence_commands(CLI::App& app, cli_context& context) {
  auto* group = app.add_subcommand("persistence", "proxyd's persistence (stick) table");
  group->require_subcommand(1);
  group->footer("Example:\n  lbctl persistence show");
  auto service = std::make_shared<std::string>();
  auto* show = group->add_subcommand(
      "show", "one row per client: service, client address, real server, time left");
  show->add_option("--service", *service, "only this virtual service's entries (its label)");
  show->footer(
      "Rows are sorted by service, then client address. Needs root or group lbha-admin (the\n"
      "table names clients). --json prints {\"schema\": \"lbha.persistence.v1\", \"entries\":\n"
      "[{\"service\", \"client\", \"server\", \"expires_in_ms\"}, ...]}.\n"
      "Examples:\n  lbctl persistence show\n  lbctl persistence show --service IIS_VIP --json");
  show->callback([service, &context] { run_show(*service, context); });
}

}  // namespace lbha::cli
