// What lbctl's commands share when they call a local daemon: stubs on the
// daemon's socket, the one-line "did not answer" error with exit code 3, and
// proto messages printed as JSON.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "cli/context.hpp"
#include "common/grpc_unix.hpp"

namespace lbha::cli {

// A local daemon that is alive answers in about a millisecond (`lbctl status`
// takes ~15 ms in all on an idle node). The deadline is for a daemon that hangs:
// short enough that status never feels stuck, long enough that a busy node's
// scheduling hiccup is not reported as a dead daemon.
inline constexpr std::chrono::milliseconds query_timeout{500};
// Reloads and state changes wait for the daemon to finish the work.
inline constexpr std::chrono::milliseconds change_timeout{10000};
// Commits through replicatord include an SSH push and the peer's reload.
inline constexpr std::chrono::milliseconds commit_timeout{120000};

// daemon: "proxyd", "heartbeatd", "replicatord", "syncd".
template <typename Service>
std::unique_ptr<typename Service::Stub> stub_for(const cli_context& context,
                                                 std::string_view daemon) {
  return Service::NewStub(unix_channel(socket_path(context.run_dir, daemon)));
}

// "lbha-proxyd did not answer on /run/lbha/proxyd.sock: <why>; is it running?
// (systemctl status lbha-proxyd)". Timeouts say so.
std::string rpc_failure(const cli_context& context, std::string_view daemon,
                        const grpc::Status& status);

// True when the RPC succeeded. Otherwise prints one line to err: rpc_failure
// and exit code 3 when the daemon did not answer (no socket, not listening,
// timed out), "lbha-<daemon> refused: ..." and exit code 1 when it answered
// with an error.
bool rpc_ok(cli_context& context, std::string_view daemon, const grpc::Status& status);

// protobuf's JSON printer: proto field names, every field present, indented.
std::string to_json(const google::protobuf::Message& message);

// Colour only on a terminal: lbctl's own stdout, a TTY, TERM not "dumb",
// NO_COLOR unset.
bool use_color(const cli_context& context);

}  // namespace lbha::cli
