// One read of the node's status: each daemon's GetStatus, asked at the same
// time, each within query_timeout, so a hung daemon costs one deadline, not
// one per daemon. What a daemon that did not answer leaves is rpc_failure's
// line, so every reader (lbctl status, lbha-webd's pages and /metrics) names
// the daemon, its socket and the remedy the same way.
#pragma once

#include <future>
#include <optional>
#include <string>
#include <string_view>

#include "cli/context.hpp"
#include "cli/daemon_calls.hpp"
#include "cli/status_view.hpp"

namespace lbha::cli {

// A daemon's status reply, or why there is none.
template <typename Reply>
struct status_answer {
  std::optional<Reply> reply;
  std::string error;  // rpc_failure's line when reply is unset
};

// `daemon`'s Service::GetStatus within query_timeout. Blocks the calling thread.
template <typename Service, typename Request, typename Reply>
status_answer<Reply> ask_status(const cli_context& context, std::string_view daemon) {
  Reply reply;
  auto ctx = context_with_deadline(query_timeout);
  auto rpc = stub_for<Service>(context, daemon)->GetStatus(ctx.get(), Request{}, &reply);
  if (!rpc.ok()) return {std::nullopt, rpc_failure(context, daemon, rpc)};
  return {std::move(reply), ""};
}

// ask_status on a thread of its own, to ask several daemons at once. `context`
// must outlive the future.
template <typename Service, typename Request, typename Reply>
std::future<status_answer<Reply>> ask_status_async(const cli_context& context, std::string daemon) {
  return std::async(std::launch::async, [&context, daemon = std::move(daemon)] {
    return ask_status<Service, Request, Reply>(context, daemon);
  });
}

// The System Overview's read: heartbeatd and proxyd at once, then
// <config-dir>/cluster.yaml (a missing or broken file only leaves config unset).
overview read_overview(const cli_context& context);

}  // namespace lbha::cli
