#include "common/grpc_unix.hpp"

#include <fcntl.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>

#include "common/logging.hpp"

namespace lbha {

namespace {

// Connections that cannot be accepted (EMFILE, ENFILE, ENOBUFS) stay queued;
// waiting this long before the next try keeps the loop from spinning.
constexpr int accept_backoff_ms = 100;

// gRPC waits 1 s and more (growing to 120 s) before a channel that lost its
// server tries again: right for a remote host, wrong for a local daemon that
// restarted (proxyd handing over its connections is back within half a
// second, and heartbeatd would take it for a failed one). A Unix socket costs
// nothing to retry.
constexpr int unix_reconnect_backoff_ms = 100;

std::error_code last_error() { return {errno, std::generic_category()}; }

result<sockaddr_un> unix_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.size() >= sizeof(addr.sun_path))
    return std::error_code(ENAMETOOLONG, std::generic_category());
  std::copy(p.begin(), p.end(), addr.sun_path);
  return addr;
}

// True when something accepts connections on the Unix socket at `path`.
bool socket_is_live(const std::filesystem::path& path) {
  auto addr = unix_address(path);
  if (!addr) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&addr.value()), sizeof(sockaddr_un)) == 0;
  ::close(fd);
  return live;
}

}  // namespace

std::filesystem::path socket_path(const std::filesystem::path& run_dir, std::string_view daemon) {
  return run_dir / (std::string(daemon) + ".sock");
}

unix_server::~unix_server() {
  if (server_)
    shutdown();
  else
    stop_accepting();
}

void unix_server::shutdown(std::chrono::system_clock::time_point deadline) {
  stop_accepting();
  server_->Shutdown(deadline);
}

void unix_server::stop_accepting() {
  std::call_once(stopped_, [this] {
    if (acceptor_.joinable()) {
      char b = 0;
      (void)!::write(wake_[1], &b, 1);
      acceptor_.join();
    }
    // Remove the socket only if it is still ours (not a successor's).
    struct stat st {};
    if (inode_ != 0 && ::lstat(path_.c_str(), &st) == 0 && st.st_ino == inode_)
      ::unlink(path_.c_str());
    for (int fd : {listen_fd_, wake_[0], wake_[1]})
      if (fd >= 0) ::close(fd);
    listen_fd_ = wake_[0] = wake_[1] = -1;
  });
}

void unix_server::accept_loop() {
  auto log = get_logger("grpc");
  bool logged = false;
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log->error("poll on {}: {}", path_.string(), last_error().message());
      return;
    }
    if (fds[1].revents != 0) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED) continue;
      if (!logged) log->warn("accept on {}: {}", path_.string(), last_error().message());
      logged = true;
      ::poll(&fds[1], 1, accept_backoff_ms);
      continue;
    }
    logged = false;
    auto peer = read_peer_credentials(fd);
    if (!peer) {
      ::close(fd);
      continue;
    }
    remember_peer(fd, std::move(*peer));
    grpc::AddInsecureChannelFromFd(server_.get(), fd);  // gRPC owns fd from here
  }
}

result<std::unique_ptr<unix_server>> start_unix_server(
    const std::filesystem::path& path, const std::vector<grpc::Service*>& services) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return ec;
  if (std::filesystem::exists(path, ec)) {
    if (socket_is_live(path)) return std::error_code(EADDRINUSE, std::generic_category());
    std::filesystem::remove(path, ec);
  }
  auto addr = unix_address(path);
  if (!addr) return addr.error();

  std::unique_ptr<unix_server> out(new unix_server);
  out->path_ = path;
  out->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (out->listen_fd_ < 0 || ::pipe2(out->wake_, O_CLOEXEC) != 0) return last_error();
  if (::bind(out->listen_fd_, reinterpret_cast<sockaddr*>(&addr.value()), sizeof(sockaddr_un)) != 0)
    return last_error();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) out->inode_ = st.st_ino;
  // Owner and the run directory's group may connect (before listen(), so no
  // connection ever sees another mode): /run/lbha is created with group
  // `lbha`; what each caller may call is decided per method by authorize().
  struct stat dir {};
  const bool group_ok =
      ::stat(path.parent_path().c_str(), &dir) == 0 &&
      (::chown(path.c_str(), static_cast<uid_t>(-1), dir.st_gid) == 0 || errno == EPERM);
  if (!group_ok || ::chmod(path.c_str(), 0660) != 0) return last_error();
  if (::listen(out->listen_fd_, SOMAXCONN) != 0) return last_error();

  grpc::ServerBuilder builder;
  for (auto* s : services) builder.RegisterService(s);
  out->server_ = builder.BuildAndStart();
  if (!out->server_) return std::error_code(EADDRNOTAVAIL, std::generic_category());
  out->acceptor_ = std::thread([s = out.get()] { s->accept_loop(); });
  return out;
}

std::shared_ptr<grpc::Channel> unix_channel(const std::filesystem::path& path) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, unix_reconnect_backoff_ms);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, unix_reconnect_backoff_ms);
  // Not GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: gRPC also takes it as the connect
  // timeout, and a daemon that is alive but slow to finish the HTTP/2
  // handshake (stopped, or busy) would then be "unreachable" after 100 ms
  // instead of answering, or timing out, within the caller's deadline.
  return grpc::CreateCustomChannel("unix:" + path.string(), grpc::InsecureChannelCredentials(),
                                   args);
}

std::unique_ptr<grpc::ClientContext> context_with_deadline(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

}  // namespace lbha
