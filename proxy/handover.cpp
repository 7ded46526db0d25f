#include "proxy/handover.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lbha::proxy {

using tcp = asio::ip::tcp;

namespace {

std::optional<tcp::endpoint> address_of(int fd, bool peer) {
  tcp::endpoint e;
  socklen_t len = static_cast<socklen_t>(e.capacity());
  const int r = peer ? ::getpeername(fd, e.data(), &len) : ::getsockname(fd, e.data(), &len);
  if (r != 0) return std::nullopt;
  e.resize(len);
  return e;
}

bool listening(int fd) {
  int on = 0;
  socklen_t len = sizeof on;
  return ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on;
}

result<std::string> read_all(int fd) {
  std::string out;
  if (::lseek(fd, 0, SEEK_SET) != 0) return errno_error(errno, "handover state: lseek");
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(errno, "handover state: read");
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

}  // namespace

result<void> write_all(int fd, std::string_view bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + at, bytes.size() - at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_error(n < 0 ? errno : EIO, "write");
    at += static_cast<std::size_t>(n);
  }
  return success();
}

v1::HandedEndpoint handed(const tcp::endpoint& e) {
  v1::HandedEndpoint out;
  if (e.address().is_v4()) {
    const auto b = e.address().to_v4().to_bytes();
    out.set_address(std::string(b.begin(), b.end()));
  } else {
    const auto b = e.address().to_v6().to_bytes();
    out.set_address(std::string(b.begin(), b.end()));
  }
  out.set_port(e.port());
  return out;
}

std::optional<tcp::endpoint> endpoint_of(const v1::HandedEndpoint& e) {
  const auto& a = e.address();
  if (e.port() > 65535) return std::nullopt;
  const auto port = static_cast<std::uint16_t>(e.port());
  if (a.size() == 4) {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), a.data(), 4);
    return tcp::endpoint(asio::ip::address_v4(b), port);
  }
  if (a.size() == 16) {
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), a.data(), 16);
    return tcp::endpoint(asio::ip::address_v6(b), port);
  }
  return std::nullopt;
}

std::optional<tcp::endpoint> local_endpoint(int fd) { return address_of(fd, false); }
std::optional<tcp::endpoint> peer_endpoint(int fd) { return address_of(fd, true); }

result<void> leave_handover(fd_store& store, const v1::ProxyHandover& state,
                            std::span<const int> listeners, std::span<const int> sockets) {
  std::string bytes;
  if (!state.SerializeToString(&bytes)) {
    return error(std::errc::message_size, "handover state: cannot serialize");
  }
  const int memfd = ::memfd_create(handover_state_name, MFD_CLOEXEC);
  if (memfd < 0) return errno_error(errno, "handover state: memfd_create");
  auto written = write_all(memfd, bytes);
  if (!written) written = written.error().prefixed("handover state");
  // The sockets go first: a state without its sockets is read as sessions lost,
  // sockets without a state are closed by the next start.
  result<void> kept = success();
  if (written && !listeners.empty()) kept = store.keep(handover_listener_name, listeners);
  if (written && kept && !sockets.empty()) kept = store.keep(handover_socket_name, sockets);
  const int state_fd[] = {memfd};
  if (written && kept) kept = store.keep(handover_state_name, state_fd);
  ::close(memfd);
  if (!written) return written;
  return kept;
}

void forget_handover(fd_store& store) {
  for (const char* name : {handover_state_name, handover_listener_name, handover_socket_name})
    store.forget(name);
}

received_handover::received_handover(received_handover&& other) noexcept
    : state_(std::move(other.state_)),
      listeners_(std::exchange(other.listeners_, {})),
      sockets_(std::exchange(other.sockets_, {})) {}

received_handover& received_handover::operator=(received_handover&& other) noexcept {
  // `other` closes what this held when it goes.
  std::swap(state_, other.state_);
  std::swap(listeners_, other.listeners_);
  std::swap(sockets_, other.sockets_);
  return *this;
}

received_handover::~received_handover() {
  for (auto& [at, fd] : listeners_) ::close(fd);
  for (auto& [k, fd] : sockets_) ::close(fd);
}

int received_handover::take_listener(const tcp::endpoint& at) {
  auto it = listeners_.find(at);
  if (it == listeners_.end()) return -1;
  const int fd = it->second;
  listeners_.erase(it);
  return fd;
}

int received_handover::take_socket(const v1::HandedEndpoint& local,
                                   const v1::HandedEndpoint& peer) {
  auto l = endpoint_of(local);
  auto p = endpoint_of(peer);
  if (!l || !p) return -1;
  auto it = sockets_.find({*l, *p});
  if (it == sockets_.end()) return -1;
  const int fd = it->second;
  sockets_.erase(it);
  return fd;
}

result<std::optional<received_handover>> receive_handover(named_fds inherited) {
  received_handover out;
  int state_fd = -1;
  for (auto& [name, fd] : inherited) {
    if (name == handover_state_name && state_fd < 0) {
      state_fd = fd;
      continue;
    }
    std::optional<tcp::endpoint> local;
    if (name == handover_listener_name && listening(fd) && (local = local_endpoint(fd))) {
      out.listeners_.emplace(*local, fd);
      continue;
    }
    std::optional<tcp::endpoint> peer;
    if (name == handover_socket_name && (local = local_endpoint(fd)) &&
        (peer = peer_endpoint(fd)) &&
        out.sockets_.emplace(received_handover::key{*local, *peer}, fd).second) {
      continue;
    }
    // Not ours, or a connection the peer reset while no proxyd ran.
    ::close(fd);
  }
  if (state_fd < 0) {
    if (out.listeners_.empty() && out.sockets_.empty()) return std::optional<received_handover>{};
    return error(std::errc::no_message, "handover: sockets inherited without their state");
  }
  auto bytes = read_all(state_fd);
  ::close(state_fd);
  if (!bytes) return bytes.error();
  if (!out.state_.ParseFromString(bytes.value())) {
    return error(std::errc::bad_message, "handover state: not a ProxyHandover");
  }
  return std::optional<received_handover>(std::move(out));
}

}  // namespace lbha::proxy
