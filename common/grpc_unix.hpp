// gRPC on local Unix sockets: the only way lbha daemons talk to each other
// and to lbctl. Every daemon serves one service on <run-dir>/<daemon>.sock,
// mode 0660 with the run directory's group; nothing listens on TCP.
//
// The socket is ours, not gRPC's: a thread accepts each connection, reads the
// caller's SO_PEERCRED and SO_PEERGROUPS into common/grpc_access.hpp, and
// hands the fd to gRPC (AddInsecureChannelFromFd), so each handler can ask
// authorize() whether its caller may call it. gRPC 1.51 cannot tell a handler
// the peer's uid on its own unix: listener.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/asio.hpp"
#include "common/grpc_access.hpp"
#include "common/result.hpp"
#include "common/run_posted.hpp"

namespace lbha {

// <run_dir>/<daemon>.sock, e.g. /run/lbha/proxyd.sock.
std::filesystem::path socket_path(const std::filesystem::path& run_dir, std::string_view daemon);

// A gRPC server on a Unix socket it accepts itself (see above). shutdown()
// first stops accepting and removes the socket, then shuts gRPC down; it may
// be called again (and from another thread) and is called by the destructor.
class unix_server {
 public:
  ~unix_server();
  unix_server(const unix_server&) = delete;
  unix_server& operator=(const unix_server&) = delete;

  void shutdown(std::chrono::system_clock::time_point deadline);
  void shutdown() { shutdown(std::chrono::system_clock::now()); }
  void wait() { server_->Wait(); }

 private:
  friend result<std::unique_ptr<unix_server>> start_unix_server(const std::filesystem::path&,
                                                                const std::vector<grpc::Service*>&);
  unix_server() = default;
  void accept_loop();
  void stop_accepting();

  std::filesystem::path path_;
  ino_t inode_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::unique_ptr<grpc::Server> server_;
  std::thread acceptor_;
  std::once_flag stopped_;
};

// Starts a gRPC server on `path` serving `services`. Creates the run dir if
// needed, replaces a stale socket left by a crash, and sets mode 0660 with the
// run directory's group (so `install -d -g lbha /run/lbha` lets group lbha in;
// which methods they may call is grpc_access's business).
// Refuses (EADDRINUSE) when another live process already serves that socket.
result<std::unique_ptr<unix_server>> start_unix_server(const std::filesystem::path& path,
                                                       const std::vector<grpc::Service*>& services);

// A channel to the socket at `path`. Connection happens lazily; one that lost
// its server (a daemon restarting) tries again every 100 ms, not after gRPC's
// growing reconnect backoff.
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
