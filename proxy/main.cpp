// lbha-proxyd: the data plane. Everything lives in lbha_proxy.
#include "common/daemon_options.hpp"
#include "proxy/daemon.hpp"

int main(int argc, char** argv) {
  CLI::App app{"lbha-proxyd: layer 7 TCP load balancing on the VIPs"};
  lbha::daemon_options options;
  lbha::add_daemon_options(app, options);
  std::string scheduling = "batch";
  app.add_option("--worker-scheduling", scheduling,
                 "how the data-plane threads are scheduled: batch (SCHED_BATCH) or normal")
      ->check(CLI::IsMember({"batch", "normal"}));
  CLI11_PARSE(app, argc, argv);
  if (!lbha::apply_log_level(options)) return 2;
  return lbha::proxy::run_daemon(options, scheduling == "normal"
                                              ? lbha::proxy::worker_scheduling::normal
                                              : lbha::proxy::worker_scheduling::batch);
}
