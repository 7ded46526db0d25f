#include "common/grpc_unix.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace lbha {

namespace {

// True when something accepts connections on the Unix socket at `path`.
bool socket_is_live(const std::filesystem::path& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path)) {
    ::close(fd);
    return false;
  }
  std::copy(p.begin(), p.end(), addr.sun_path);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

std::filesystem::path socket_path(const std::filesystem::path& run_dir, std::string_view daemon) {
  return run_dir / (std::string(daemon) + ".sock");
}

result<std::unique_ptr<grpc::Server>> start_unix_server(
    const std::filesystem::path& path, const std::vector<grpc::Service*>& services) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return ec;
  if (std::filesystem::exists(path, ec)) {
    if (socket_is_live(path)) return std::error_code(EADDRINUSE, std::generic_category());
    std::filesystem::remove(path, ec);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + path.string(), grpc::InsecureServerCredentials());
  for (auto* s : services) builder.RegisterService(s);
  auto server = builder.BuildAndStart();
  if (!server) return std::error_code(EADDRNOTAVAIL, std::generic_category());
  // Owner and the run directory's group may connect: the group is how
  // non-root callers are let in (the `loadbalancer` user's config receiver
  // reloads the daemons), so /run/lbha is created with the group `lbha`.
  struct stat dir {};
  const bool group_ok = ::stat(path.parent_path().c_str(), &dir) == 0 &&
                        (::chown(path.c_str(), static_cast<uid_t>(-1), dir.st_gid) == 0 ||
                         errno == EPERM);
  if (!group_ok || ::chmod(path.c_str(), 0660) != 0) {
    auto err = std::error_code(errno, std::generic_category());
    server->Shutdown();
    return err;
  }
  return server;
}

std::shared_ptr<grpc::Channel> unix_channel(const std::filesystem::path& path) {
  return grpc::CreateChannel("unix:" + path.string(), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> context_with_deadline(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

}  // namespace lbha
