// gRPC on local Unix sockets: the only way lbha daemons talk to each other
// and to lbctl. Every daemon serves one service on <run-dir>/<daemon>.sock,
// mode 0660; nothing listens on TCP.
#pragma once

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/asio.hpp"
#include "common/result.hpp"
#include "common/run_posted.hpp"

namespace lbha {

// <run_dir>/<daemon>.sock, e.g. /run/lbha/proxyd.sock.
std::filesystem::path socket_path(const std::filesystem::path& run_dir, std::string_view daemon);

// Starts a gRPC server on `path` serving `services`. Creates the run dir if
// needed, replaces a stale socket left by a crash, and sets mode 0660 with the
// run directory's group (so `install -d -g lbha /run/lbha` lets group lbha in).
// Refuses (EADDRINUSE) when another live process already serves that socket.
result<std::unique_ptr<grpc::Server>> start_unix_server(const std::filesystem::path& path,
                                                        const std::vector<grpc::Service*>& services);

// A channel to the socket at `path`. Connection happens lazily.
std::shared_ptr<grpc::Channel> unix_channel(const std::filesystem::path& path);

// A client context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> context_with_deadline(std::chrono::milliseconds timeout);

// Runs `fn` on `io`'s thread and waits for its result. gRPC handlers run on
// gRPC's threads; this keeps a daemon's state owned by its io_context.
template <typename F>
auto run_on(asio::io_context& io, F fn) -> decltype(fn()) {
  return run_posted([&io](std::function<void()> task) { asio::post(io, std::move(task)); },
                    std::move(fn));
}

}  // namespace lbha
