#include "tests/lab/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/lab/command.hpp"
#include "tests/lab/lab_error.hpp"

namespace lbha::lab {

namespace {

using steady = std::chrono::steady_clock;

int remaining_ms(steady::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// A non-blocking TCP socket in `netns` connected to ip:port, or -1 with `error` set.
int connect_within(const std::string& netns, const std::string& ip, std::uint16_t port,
                   steady::time_point deadline, std::string& error) {
  sockaddr_in6 addr{};  // IPv4 or IPv6, whichever `ip` is
  socklen_t addr_len = sizeof addr;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    addr_len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, ip.c_str(), &addr.sin6_addr) == 1) {
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
  } else {
    error = "bad IP address " + ip;
    return -1;
  }
  const int fd = make_socket(netns, addr.sin6_family, SOCK_STREAM | SOCK_NONBLOCK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 && errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  const int ready = ::poll(&p, 1, remaining_ms(deadline));
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
  if (ready <= 0 || so_error != 0) {
    error = ready <= 0 ? "connect: timeout" : std::string("connect: ") + std::strerror(so_error);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

int make_socket(const std::string& netns, int domain, int type, int protocol) {
  int fd = -1;
  int err = 0;
  std::string step;
  // setns changes only the calling thread's namespace: do it on a thread that then ends.
  std::thread worker([&] {
    if (!netns.empty()) {
      const int ns = ::open(netns_path(netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0) {
        err = errno;
        step = "open " + netns_path(netns);
        return;
      }
      const int r = ::setns(ns, CLONE_NEWNET);
      err = errno;
      ::close(ns);
      if (r != 0) {
        step = "setns " + netns;
        return;
      }
    }
    fd = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    err = errno;
    step = "socket";
  });
  worker.join();
  if (fd < 0) throw lab_error("make_socket: " + step + ": " + std::strerror(err));
  return fd;
}

bool tcp_connect(const std::string& netns, const std::string& ip, std::uint16_t port,
                 std::chrono::milliseconds timeout) {
  std::string error;
  const int fd = connect_within(netns, ip, port, steady::now() + timeout, error);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

http_response http_get(const std::string& netns, const std::string& ip, std::uint16_t port,
                       const std::string& path, std::chrono::milliseconds timeout) {
  http_response response;
  const auto deadline = steady::now() + timeout;
  const int fd = connect_within(netns, ip, port, deadline, response.error);
  if (fd < 0) return response;

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + ip +
                              "\r\nConnection: close\r\nUser-Agent: lbha-lab\r\n\r\n";
  std::size_t sent = 0;
  std::string data;
  char buffer[4096];
  bool eof = false;
  while (!eof) {
    pollfd p{fd, static_cast<short>(POLLIN | (sent < request.size() ? POLLOUT : 0)), 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready <= 0) {
      response.error = "timeout";
      break;
    }
    if ((p.revents & POLLOUT) && sent < request.size()) {
      const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN) {
        response.error = std::string("send: ") + std::strerror(errno);
        break;
      }
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) {
        data.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0) {
        eof = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        response.error = std::string("recv: ") + std::strerror(errno);
        break;
      }
    }
  }
  ::close(fd);

  // "HTTP/1.1 200 OK\r\n<headers>\r\n\r\n<body>"
  const auto header_end = data.find("\r\n\r\n");
  if (data.compare(0, 5, "HTTP/") != 0 || header_end == std::string::npos) {
    if (response.error.empty())
      response.error = "no HTTP response (" + std::to_string(data.size()) + " bytes)";
    return response;
  }
  const auto space = data.find(' ');
  response.status = std::atoi(data.c_str() + space + 1);
  response.body = data.substr(header_end + 4);
  std::string headers = data.substr(0, header_end);
  for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto length_at = headers.find("\r\ncontent-length:");
  if (length_at != std::string::npos) {
    const auto length = static_cast<std::size_t>(std::atol(headers.c_str() + length_at + 17));
    if (response.body.size() < length) {
      if (response.error.empty()) response.error = "short body";
      return response;
    }
    response.body.resize(length);
  } else if (!eof) {
    return response;  // without a length only EOF ends the body
  }
  response.ok = true;
  response.error.clear();
  return response;
}

std::optional<std::string> canonical_ip(const std::string& text) {
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  for (int family : {AF_INET, AF_INET6}) {
    if (::inet_pton(family, text.c_str(), buf) == 1) return ::inet_ntop(family, buf, out, sizeof out);
  }
  return std::nullopt;
}

}  // namespace lbha::lab
