// lbha-webui-bench: the server time of the WebUI's biggest pages for a node
// with N virtual services of 4 real servers each (default 100): the System
// Overview page (with each service's full hour of connection graph), its
// 2-s JSON poll and the Virtual Services page, each
// rendered from one read (the daemons' replies and cluster.yaml, built here,
// so what is timed is lbha-webd's own work, not the daemons' answers).
// Prints a table of the median and the 10th/90th percentiles of `runs`
// renders, then RESULT lines.
//
// Usage: lbha-webui-bench [SERVICES] [RUNS]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "cli/config_edit.hpp"
#include "common/config/config.hpp"
#include "web/overview_page.hpp"
#include "web/services_page.hpp"

namespace {

using namespace lbha;
using clock_type = std::chrono::steady_clock;

std::string address(int service, int server) {
  return "198.51.100." + std::to_string(1 + (service * 4 + server) % 250);
}

cli::overview overview_of(int services) {
  cli::overview view;
  v1::HaStatus ha;
  ha.set_node_name("lb1");
  ha.set_role(v1::ROLE_ACTIVE);
  ha.set_peer_alive(true);
  ha.set_peer_role(v1::ROLE_PASSIVE);
  view.ha = ha;
  v1::ProxyStatus proxy;
  for (int s = 0; s < services; ++s) {
    auto* service = proxy.add_virtual_services();
    service->set_label("VIP_" + std::to_string(s));
    service->set_ip("192.0.2." + std::to_string(1 + s % 250));
    auto* ports = service->add_ports();
    ports->set_first(static_cast<std::uint32_t>(8000 + s));
    ports->set_last(static_cast<std::uint32_t>(8000 + s));
    service->set_current_connections(static_cast<std::uint64_t>(s * 3));
    for (int r = 0; r < 4; ++r) {
      auto* server = service->add_real_servers();
      server->set_label("RIP_" + std::to_string(s) + "_" + std::to_string(r));
      server->set_ip(address(s, r));
      server->set_port(static_cast<std::uint32_t>(8000 + s));
      server->set_weight(100);
      server->set_state(v1::REAL_SERVER_STATE_ONLINE);
      server->set_healthy(r != 3);
      server->set_current_connections(static_cast<std::uint64_t>(r));
    }
  }
  view.proxy = proxy;
  return view;
}

v1::ClusterConfig config_of(int services) {
  v1::ClusterConfig config;
  for (int s = 0; s < services; ++s) {
    const auto label = "VIP_" + std::to_string(s);
    cli::add_vip(
        config, label,
        {{"ip", "192.0.2." + std::to_string(1 + s % 250)}, {"ports", std::to_string(8000 + s)}});
    for (int r = 0; r < 4; ++r) {
      cli::add_rip(config, label, "RIP_" + std::to_string(s) + "_" + std::to_string(r),
                   {{"ip", address(s, r)}});
    }
  }
  config::apply_defaults(config);
  return config;
}

struct figures {
  double median_ms, p10_ms, p90_ms;
  std::size_t bytes;
};

figures measure(int runs, const std::function<std::string()>& render) {
  std::vector<double> ms;
  std::size_t bytes = 0;
  for (int i = 0; i < runs; ++i) {
    const auto start = clock_type::now();
    const auto page = render();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - start).count());
    bytes = page.size();
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) { return ms[static_cast<std::size_t>(q * (ms.size() - 1))]; };
  return {at(0.5), at(0.1), at(0.9), bytes};
}

}  // namespace

int main(int argc, char** argv) {
  const int services = argc > 1 ? std::atoi(argv[1]) : 100;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 200;
  if (services < 1 || runs < 1) {
    std::fprintf(stderr, "usage: lbha-webui-bench [SERVICES >= 1] [RUNS >= 1]\n");
    return 2;
  }
  const auto view = overview_of(services);
  const web::node_operations::config_read read{config_of(services), ""};
  const web::page_viewer admin{"admin", web::access::admin, std::string(64, 'c')};
  // A full hour of connection history behind every service's graph.
  web::connection_history history;
  const lbha::clock::time_point start{};
  for (int second = 0; second <= 3600; second += 30) {
    auto status = *view.proxy;
    for (auto& service : *status.mutable_virtual_services()) {
      service.set_current_connections(static_cast<std::uint64_t>(second % 97));
    }
    history.record(start + std::chrono::seconds(second), status);
  }
  const web::overview_graphs graphs{&history, start + std::chrono::seconds(3600)};
  const auto overview =
      measure(runs, [&] { return web::render_overview_page(view, admin, "lb1", {}, graphs); });
  const auto poll = measure(runs, [&] { return web::render_overview_json(view, admin, graphs); });
  const auto list =
      measure(runs, [&] { return web::render_services_page(read, admin, "lb1", {}); });
  std::printf("%d virtual services x 4 real servers, %d renders each (server time, ms)\n", services,
              runs);
  std::printf("%-28s %10s %10s %10s %10s\n", "page", "median", "p10", "p90", "KiB");
  const auto row = [](const char* name, const figures& f) {
    std::printf("%-28s %10.2f %10.2f %10.2f %10.1f\n", name, f.median_ms, f.p10_ms, f.p90_ms,
                static_cast<double>(f.bytes) / 1024.0);
  };
  row("System Overview page", overview);
  row("overview JSON poll", poll);
  row("Virtual Services page", list);
  std::printf("RESULT overview_%dvs_ms=%.2f\n", services, overview.median_ms);
  std::printf("RESULT overview_poll_%dvs_ms=%.2f\n", services, poll.median_ms);
  std::printf("RESULT services_page_%dvs_ms=%.2f\n", services, list.median_ms);
  return 0;
}
