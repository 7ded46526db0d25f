#include "replicator/pairing/receive_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/logging.hpp"

namespace lbha::pairing {

namespace {

constexpr const char* relay_magic = "LBHA-RELAY";
constexpr const char* request_magic = "LBHA-RECEIVE";
constexpr std::size_t max_line_bytes = 256;
constexpr std::size_t max_reply_bytes = 64 * 1024;

std::string errno_text(int err) { return std::strerror(err); }

// One '\n'-terminated line, read a byte at a time so nothing after it is consumed.
result<std::string> read_line(int fd, const char* what) {
  std::string line;
  while (line.size() <= max_line_bytes) {
    char c = 0;
    const auto n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return error(errc::bad_request, std::string("cannot read the ") + what + ": " + errno_text(errno));
    if (n == 0) {
      return error(errc::bad_request, line.empty() ? std::string("no request received (empty input)")
                                                   : std::string("the ") + what + " was cut off");
    }
    if (c == '\n') return line;
    line.push_back(c);
  }
  return error(errc::bad_request, std::string("the ") + what + " is longer than " +
                                      std::to_string(max_line_bytes) + " bytes");
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

result<sockaddr_un> unix_address(const std::filesystem::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.native().size() >= sizeof(addr.sun_path)) {
    return error(std::errc::filename_too_long, "socket path too long: " + path.string());
  }
  std::memcpy(addr.sun_path, path.c_str(), path.native().size() + 1);
  return addr;
}

// A connected socket to `path`, or the errno of the failure.
int connect_unix(const sockaddr_un& addr, int& err) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = errno;
    return -1;
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    err = errno;
    ::close(fd);
    return -1;
  }
  return fd;
}

receive_reply failure(const std::string& node, std::string message) {
  receive_reply reply;
  reply.node = node;
  reply.message = std::move(message);
  return reply;
}

}  // namespace

std::filesystem::path receive_socket_path(const std::filesystem::path& run_dir) {
  return run_dir / "receive.sock";
}

std::string encode_relay_header(const relay_header& header) {
  return std::string(relay_magic) + " 1 " + (header.restricted ? "restricted" : "password") + " " +
         (header.client_address.empty() ? "-" : header.client_address) + "\n";
}

result<relay_header> decode_relay_header(const std::string& line) {
  std::istringstream fields(line);
  std::string word, mode, address, extra;
  int version = 0;
  if (!(fields >> word >> version >> mode >> address) || word != relay_magic || (fields >> extra)) {
    return error(errc::bad_request, "not an lbha relay header");
  }
  if (version != 1) {
    return error(errc::bad_request, "unsupported relay version " + std::to_string(version));
  }
  if (mode != "restricted" && mode != "password") {
    return error(errc::bad_request, "unknown relay mode '" + mode + "'");
  }
  relay_header header;
  header.restricted = mode == "restricted";
  if (address != "-") header.client_address = address;
  return header;
}

result<std::string> read_framed_request(int fd) {
  auto header = read_line(fd, "request header");
  if (!header) return header.error();
  std::istringstream fields(header.value());
  std::string word;
  int version = 0;
  std::size_t length = 0;
  if (!(fields >> word >> version >> length) || word != request_magic) {
    return error(errc::bad_request, "not an lbha replication request (bad header)");
  }
  if (length > max_request_bytes) {
    return error(errc::bad_request, "request too large: " + std::to_string(length));
  }
  std::string framed = header.value() + "\n";
  const auto body_start = framed.size();
  framed.resize(body_start + length);
  std::size_t got = 0;
  while (got < length) {
    const auto n = ::read(fd, framed.data() + body_start + got, length - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return error(errc::bad_request, "transfer incomplete: received " + std::to_string(got) +
                                          " of " + std::to_string(length) +
                                          " bytes; nothing applied");
    }
    got += static_cast<std::size_t>(n);
  }
  return framed;
}

receive_reply relay_request(const std::filesystem::path& socket, const std::string& node_name,
                            const relay_header& header, const std::string& framed,
                            std::chrono::milliseconds timeout) {
  auto addr = unix_address(socket);
  if (!addr) return failure(node_name, addr.error().message());
  int err = 0;
  int fd = connect_unix(addr.value(), err);
  if (fd < 0) {
    if (err == ENOENT || err == ECONNREFUSED) {
      return failure(node_name, "lbha-replicatord is not running on " + node_name +
                                    " (nothing listens on " + socket.string() +
                                    "); nothing applied");
    }
    return failure(node_name, "cannot open " + socket.string() + " (" + errno_text(err) +
                                  "); nothing applied");
  }
  set_timeouts(fd, timeout);
  // A refusal may arrive before the request is sent whole (the server reads
  // nothing from a uid it refuses): read the answer whatever the send did.
  if (send_all(fd, encode_relay_header(header)) && send_all(fd, framed)) ::shutdown(fd, SHUT_WR);
  std::string output;
  char buffer[4096];
  while (output.size() < max_reply_bytes) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto reply = parse_reply(output);
  if (!reply) {
    return failure(node_name, "lbha-replicatord on " + node_name +
                                  " closed the connection without a reply");
  }
  return reply.value();
}

receive_server::receive_server(options opts, handler handle)
    : opts_(std::move(opts)), handle_(std::move(handle)) {}

receive_server::~receive_server() { stop(); }

result<void> receive_server::start() {
  auto addr = unix_address(opts_.socket);
  if (!addr) return addr.error();
  std::error_code ec;
  std::filesystem::create_directories(opts_.socket.parent_path(), ec);
  int err = 0;
  if (int live = connect_unix(addr.value(), err); live >= 0) {
    ::close(live);
    return error(std::errc::address_in_use,
                 "another process already serves " + opts_.socket.string());
  }
  ::unlink(opts_.socket.c_str());  // a stale socket left by a crash
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return error(std::error_code(errno, std::generic_category()), "socket");
  bound_ = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr.value()),
                  sizeof(sockaddr_un)) == 0;
  if (!bound_ || (opts_.socket_group && ::chown(opts_.socket.c_str(), static_cast<uid_t>(-1), *opts_.socket_group) != 0) ||
      ::chmod(opts_.socket.c_str(), 0660) != 0 || ::listen(listen_fd_, 8) != 0 ||
      ::pipe2(wake_, O_CLOEXEC) != 0) {
    const int failed = errno;
    stop();
    return error(std::error_code(failed, std::generic_category()),
                 "cannot serve " + opts_.socket.string());
  }
  thread_ = std::thread([this] { run(); });
  return success();
}

void receive_server::stop() {
  if (thread_.joinable()) {
    const char byte = 1;
    while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_[0], &wake_[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  if (bound_) ::unlink(opts_.socket.c_str());
  bound_ = false;
}

void receive_server::run() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      get_logger("receive")->error("poll on {}: {}", opts_.socket.string(), errno_text(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void receive_server::serve(int fd) {
  auto log = get_logger("receive");
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 ||
      opts_.allowed_uids.count(peer.uid) == 0) {
    ++refused_;
    log->warn("refused a request on {} from uid {} (pid {}): only root and the SSH login user "
              "may hand configs to this node",
              opts_.socket.string(), peer.uid, peer.pid);
    send_all(fd, format_reply(failure(opts_.node_name,
                                      "refused: uid " + std::to_string(peer.uid) +
                                          " may not hand configs to this node")) +
                     "\n");
    return;
  }
  set_timeouts(fd, opts_.read_timeout);
  receive_reply reply;
  auto line = read_line(fd, "relay header");
  auto header = line ? decode_relay_header(line.value()) : result<relay_header>(line.error());
  auto framed = header ? read_framed_request(fd) : result<std::string>(header.error());
  if (!framed) {
    reply = failure(opts_.node_name, framed.error().message());
  } else {
    std::istringstream in(framed.value());
    auto request = decode_request(in);
    if (!request) {
      reply = failure(opts_.node_name, request.error().message());
    } else {
      ++served_;
      reply = handle_(request.value(), header.value());
    }
  }
  log->info("receive request from uid {} (pid {}): {}", peer.uid, peer.pid, format_reply(reply));
  send_all(fd, format_reply(reply) + "\n");
}

}  // namespace lbha::pairing
