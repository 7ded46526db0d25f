#include "cli/status_read.hpp"

#include "cli/transparent_routing.hpp"
#include "common/config/config.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

overview read_overview(const cli_context& context) {
  auto ha = ask_status_async<v1::Ha, v1::HaStatusRequest, v1::HaStatus>(context, "heartbeatd");
  auto proxy = ask_status<v1::Proxy, v1::ProxyStatusRequest, v1::ProxyStatus>(context, "proxyd");
  overview view;
  view.proxy = std::move(proxy.reply);
  view.proxy_error = std::move(proxy.error);
  auto ha_answer = ha.get();
  view.ha = std::move(ha_answer.reply);
  view.ha_error = std::move(ha_answer.error);
  // Settings shown beside the counters; a missing or broken file only hides them.
  auto loaded = config::load_cluster_config(context.config_dir / "cluster.yaml");
  if (loaded) view.config = std::move(loaded).value();
  if (view.config) view.warnings = transparent_routing_warnings(*view.config, run_ip);
  return view;
}

}  // namespace lbha::cli
