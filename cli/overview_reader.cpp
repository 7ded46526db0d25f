#include "cli/overview_reader.hpp"

#include <future>
#include <utility>

#include "cli/daemon_calls.hpp"
#include "common/config/config.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::cli {

overview read_overview(const cli_context& context) {
  overview view;
  auto ha = std::async(std::launch::async, [&context] {
    v1::HaStatus status;
    auto ctx = context_with_deadline(query_timeout);
    auto rpc = stub_for<v1::Ha>(context, "heartbeatd")
                   ->GetStatus(ctx.get(), v1::HaStatusRequest{}, &status);
    return std::make_pair(rpc, status);
  });
  {
    v1::ProxyStatus status;
    auto ctx = context_with_deadline(query_timeout);
    auto rpc = stub_for<v1::Proxy>(context, "proxyd")
                   ->GetStatus(ctx.get(), v1::ProxyStatusRequest{}, &status);
    if (rpc.ok()) {
      view.proxy = std::move(status);
    } else {
      view.proxy_error = rpc_failure(context, "proxyd", rpc);
    }
  }
  auto [rpc, status] = ha.get();
  if (rpc.ok()) {
    view.ha = std::move(status);
  } else {
    view.ha_error = rpc_failure(context, "heartbeatd", rpc);
  }
  // Settings shown beside the counters; a missing or broken file only hides them.
  auto loaded = config::load_cluster_config(context.config_dir / "cluster.yaml");
  if (loaded) view.config = std::move(loaded).value();
  return view;
}

}  // namespace lbha::cli
