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
#include "lbha/v1/sync.grpc.pb.h"

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

// The Reload of whichever service the daemon serves (Proxy, Sync, Ha: one message).
template <typename Service>
grpc::Status call_reload(const std::shared_ptr<grpc::Channel>& channel,
                         const lbha::v1::ReloadRequest& request, lbha::v1::ReloadResult& reply) {
  auto ctx = context_with_deadline(reload_timeout);
  return Service::NewStub(channel)->Reload(ctx.get(), request, &reply);
}

class grpc_reload_rpc final : public reload_rpc {
 public:
  explicit grpc_reload_rpc(const std::filesystem::path& run_dir) : run_dir_(run_dir) {}

  result<std::optional<lbha::v1::ReloadResult>> reload(
      std::string_view daemon, const lbha::v1::ReloadRequest& request) override {
    const auto socket = socket_path(run_dir_, daemon);
    int error = 0;
    switch (probe(socket, error)) {
      case reachability::not_running:
        return std::optional<lbha::v1::ReloadResult>{};
      case reachability::no_access:
        return lbha::error(std::errc::permission_denied,
                           "cannot open " + socket.native() + " (" + std::strerror(error) +
                               "; the login user must be in the run dir's group, see "
                               "deploy/README.md)");
      case reachability::listening:
        break;
    }
    const auto channel = unix_channel(socket);
    lbha::v1::ReloadResult reply;
    grpc::Status status;
    if (daemon == "proxyd") {
      status = call_reload<lbha::v1::Proxy>(channel, request, reply);
    } else if (daemon == "syncd") {
      status = call_reload<lbha::v1::Sync>(channel, request, reply);
    } else {
      status = call_reload<lbha::v1::Ha>(channel, request, reply);
    }
    if (!status.ok()) return lbha::error(std::errc::io_error, status.error_message());
    return std::optional<lbha::v1::ReloadResult>(std::move(reply));
  }

 private:
  const std::filesystem::path& run_dir_;
};

}  // namespace

reload_outcome reload_in_order(reload_rpc& rpc, const lbha::v1::ClusterConfig* config) {
  lbha::v1::ReloadRequest request;
  if (config != nullptr) *request.mutable_config() = *config;
  reload_outcome out;
  for (std::size_t i = 0; i < reload_order.size(); ++i) {
    const auto daemon = reload_order[i];
    if (!out.summary.empty()) out.summary += ", ";
    auto answer = rpc.reload(daemon, request);
    if (answer && !answer.value()) {
      append(out.summary, {daemon, " not running"});
      continue;
    }
    if (answer && answer.value()->ok()) {
      append(out.summary, {"reloaded ", daemon});
      continue;
    }
    out.ok = false;
    if (!answer) {
      append(out.summary, {daemon, " reload failed: ", answer.error().message()});
    } else {
      append(out.summary, {daemon, " refused the config: ", answer.value()->message()});
    }
    // A config one daemon refused does not go to the next ones.
    for (std::size_t j = i + 1; j < reload_order.size(); ++j) {
      append(out.summary, {j == i + 1 ? "; not asked: " : ", ", reload_order[j]});
    }
    break;
  }
  return out;
}

reload_outcome grpc_local_daemons::reload(const lbha::v1::ClusterConfig* config) {
  grpc_reload_rpc rpc(run_dir_);
  return reload_in_order(rpc, config);
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
