#include "replicator/pairing/local_daemons.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <string_view>

#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"

namespace lbha::pairing {

namespace {
constexpr std::chrono::milliseconds reload_timeout{3000};

enum class reachability { listening, not_running, no_access };

// gRPC reports "not running" and "permission denied" alike (UNAVAILABLE); a
// plain connect() tells them apart, so a socket this user may not open is
// reported as the deployment error it is rather than as an absent daemon.
reachability probe(const std::filesystem::path& socket, int& error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const auto text = socket.string();
  if (text.size() >= sizeof addr.sun_path) return reachability::listening;  // let gRPC say
  std::memcpy(addr.sun_path, text.c_str(), text.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return reachability::listening;
  int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  error = rc == 0 ? 0 : errno;
  ::close(fd);
  if (rc == 0) return reachability::listening;
  if (error == ENOENT || error == ECONNREFUSED) return reachability::not_running;
  if (error == EACCES || error == EPERM) return reachability::no_access;
  return reachability::listening;
}

// Appends the pieces to `out` (g++ 12 reports a false -Warray-bounds on
// chains of std::string temporaries here).
void append(std::string& out, std::initializer_list<std::string_view> pieces) {
  for (auto piece : pieces) out.append(piece);
}

// Calls `rpc` on the daemon's socket and adds its outcome to `out`.
template <typename Rpc>
void reload_one(const std::filesystem::path& run_dir, std::string_view daemon, Rpc rpc,
                reload_outcome& out) {
  if (!out.summary.empty()) out.summary += ", ";
  const auto socket = socket_path(run_dir, daemon);
  int error = 0;
  switch (probe(socket, error)) {
    case reachability::not_running:
      append(out.summary, {daemon, " not running"});
      return;
    case reachability::no_access:
      out.ok = false;
      append(out.summary,
             {daemon, " reload failed: cannot open ", socket.native(), " (", std::strerror(error),
              "; the login user must be in the run dir's group, see "
              "deploy/README.md)"});
      return;
    case reachability::listening:
      break;
  }
  bool ok = false;
  std::string message;
  auto status = rpc(unix_channel(socket), ok, message);
  if (!status.ok()) {
    out.ok = false;
    append(out.summary, {daemon, " reload failed: ", status.error_message()});
  } else if (!ok) {
    out.ok = false;
    append(out.summary, {daemon, " refused the config: ", message});
  } else {
    append(out.summary, {"reloaded ", daemon});
  }
}

}  // namespace

reload_outcome grpc_local_daemons::reload(const lbha::v1::ClusterConfig* config) {
  reload_outcome out;
  // The data plane first: it is what clients see, and heartbeatd's reload
  // parses cluster.yaml again (proxyd listens with IP_FREEBIND, so it does not
  // need heartbeatd to have added a new VIP yet).
  if (config != nullptr) {
    reload_one(
        run_dir_, "proxyd",
        [config](std::shared_ptr<grpc::Channel> channel, bool& ok, std::string& message) {
          auto stub = lbha::v1::Proxy::NewStub(channel);
          auto ctx = context_with_deadline(reload_timeout);
          lbha::v1::ProxyReloadRequest request;
          *request.mutable_config() = *config;
          lbha::v1::ProxyResult reply;
          auto status = stub->Reload(ctx.get(), request, &reply);
          ok = reply.ok();
          message = reply.message();
          return status;
        },
        out);
  }
  reload_one(
      run_dir_, "heartbeatd",
      [](std::shared_ptr<grpc::Channel> channel, bool& ok, std::string& message) {
        auto stub = lbha::v1::Ha::NewStub(channel);
        auto ctx = context_with_deadline(reload_timeout);
        lbha::v1::HaResult reply;
        auto status = stub->Reload(ctx.get(), lbha::v1::HaReloadRequest{}, &reply);
        ok = reply.ok();
        message = reply.message();
        return status;
      },
      out);
  return out;
}

std::optional<std::uint64_t> grpc_local_daemons::current_term() {
  const auto socket = socket_path(run_dir_, "heartbeatd");
  int error = 0;
  if (probe(socket, error) == reachability::not_running) return std::nullopt;
  auto stub = lbha::v1::Ha::NewStub(unix_channel(socket));
  auto ctx = context_with_deadline(std::chrono::milliseconds(1000));
  lbha::v1::HaStatus reply;
  if (!stub->GetStatus(ctx.get(), lbha::v1::HaStatusRequest{}, &reply).ok()) return std::nullopt;
  return reply.term();
}

}  // namespace lbha::pairing
