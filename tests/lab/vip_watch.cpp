#include "tests/lab/vip_watch.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "tests/lab/lab.hpp"
#include "tests/lab/lab_error.hpp"
#include "tests/lab/net.hpp"

namespace lbha::lab {

namespace {

using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string normalize(const std::string& text) {
  if (auto ip = canonical_ip(text)) return *ip;
  throw lab_error("vip_watch: " + text + " is not an IP address");
}

struct addr_message {
  bool add = false;
  int ifindex = 0;
  std::string address;
  std::string interface;  // IFA_LABEL (IPv4) or "if<index>"
};

// The address messages in one netlink datagram. `done` when a dump ended;
// `error` is the errno of an NLMSG_ERROR.
std::vector<addr_message> parse(const char* data, std::size_t size, bool& done, int& error) {
  std::vector<addr_message> out;
  auto len = static_cast<unsigned>(size);
  for (auto* h = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(h, len);
       h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_type == NLMSG_DONE) {
      done = true;
      continue;
    }
    if (h->nlmsg_type == NLMSG_ERROR) {
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      error = -e->error;
      done = true;
      continue;
    }
    if (h->nlmsg_type != RTM_NEWADDR && h->nlmsg_type != RTM_DELADDR) continue;
    const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    const std::size_t bytes = ifa->ifa_family == AF_INET ? 4 : 16;
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) continue;
    addr_message m;
    m.add = h->nlmsg_type == RTM_NEWADDR;
    m.ifindex = static_cast<int>(ifa->ifa_index);
    m.interface = "if" + std::to_string(ifa->ifa_index);
    const void* local = nullptr;
    const void* address = nullptr;
    int attr_len = static_cast<int>(IFA_PAYLOAD(h));
    for (auto* a = IFA_RTA(ifa); RTA_OK(a, attr_len); a = RTA_NEXT(a, attr_len)) {
      if (a->rta_type == IFA_LOCAL && RTA_PAYLOAD(a) == bytes) local = RTA_DATA(a);
      if (a->rta_type == IFA_ADDRESS && RTA_PAYLOAD(a) == bytes) address = RTA_DATA(a);
      if (a->rta_type == IFA_LABEL) m.interface = static_cast<const char*>(RTA_DATA(a));
    }
    // IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on point-to-point).
    const void* own = local != nullptr ? local : address;
    if (own == nullptr) continue;
    char text[INET6_ADDRSTRLEN];
    m.address = ::inet_ntop(ifa->ifa_family, own, text, sizeof text);
    out.push_back(std::move(m));
  }
  return out;
}

// Every IPv4 and IPv6 address of the node, read on a socket of its own.
std::vector<addr_message> dump_addresses(const std::string& netns) {
  const int fd = make_socket(netns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  struct {
    nlmsghdr header;
    ifaddrmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body.ifa_family = AF_UNSPEC;
  if (::send(fd, &request, sizeof request, 0) < 0) {
    const int err = errno;
    ::close(fd);
    throw lab_error("vip_watch: RTM_GETADDR in " + netns + ": " + std::strerror(err));
  }
  std::vector<addr_message> all;
  std::vector<char> buf(64 * 1024);
  bool done = false;
  int error = 0;
  while (!done) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) {
      error = ETIMEDOUT;
      break;
    }
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    auto part = parse(buf.data(), static_cast<std::size_t>(n), done, error);
    all.insert(all.end(), part.begin(), part.end());
  }
  ::close(fd);
  if (error != 0) {
    throw lab_error("vip_watch: address dump in " + netns + ": " + std::strerror(error));
  }
  return all;
}

std::string ms_since(steady::time_point start, steady::time_point at) {
  return "+" + std::to_string(std::chrono::duration_cast<milliseconds>(at - start).count()) + "ms";
}

}  // namespace

vip_watch::vip_watch(std::vector<watched_node> nodes, const std::vector<std::string>& vips) {
  for (const auto& v : vips) vips_.push_back(normalize(v));
  start_ = steady::now();
  for (const auto& v : vips_) state_[v].since = start_;
  try {
    for (auto& n : nodes) {
      const int fd = make_socket(n.netns, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
      sockets_.push_back({std::move(n), fd});
      const auto& s = sockets_.back();
      // Room for a burst (a failover adds and removes several addresses at once).
      const int size = 1 << 20;
      ::setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      sockaddr_nl local{};
      local.nl_family = AF_NETLINK;
      local.nl_groups = RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
      if (::bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        throw lab_error("vip_watch: bind NETLINK_ROUTE in " + s.node.netns + ": " +
                        std::strerror(errno));
      }
    }
    // Subscribed first, dumped second: an event in between is read later and
    // applies on top of the dump (adding a held address or removing a gone one
    // twice changes nothing).
    for (const auto& s : sockets_) resync(s, "at start:");
    // The measurement starts once the owners are known (the dump took a few ms,
    // and its adds must not count as the end of an interval with no owner).
    start_ = steady::now();
    for (auto& [vip, s] : state_) {
      s.since = start_;
      s.longest_dual = s.longest_none = std::chrono::milliseconds(0);
    }
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) throw lab_error(std::string("vip_watch: eventfd: ") + std::strerror(errno));
  } catch (...) {
    for (const auto& s : sockets_) ::close(s.fd);
    throw;
  }
  reader_ = std::thread([this] { run(); });
}

vip_watch::vip_watch(const lab& l, const std::vector<std::string>& node_names,
                     const std::vector<std::string>& vips)
    : vip_watch(
          [&] {
            std::vector<watched_node> nodes;
            for (const auto& name : node_names) nodes.push_back({name, l.at(name).netns});
            return nodes;
          }(),
          vips) {}

vip_watch::~vip_watch() { stop(); }

void vip_watch::stop() {
  if (reader_.joinable()) {
    const std::uint64_t one = 1;
    (void)!::write(stop_fd_, &one, sizeof one);
    reader_.join();
    std::lock_guard lock(mutex_);
    stopped_ = steady::now();
  }
  for (auto& s : sockets_) {
    if (s.fd >= 0) ::close(s.fd);
    s.fd = -1;
  }
  if (stop_fd_ >= 0) ::close(stop_fd_);
  stop_fd_ = -1;
}

void vip_watch::reset() {
  std::lock_guard lock(mutex_);
  start_ = steady::now();
  events_.clear();
  for (auto& [vip, s] : state_) {
    s.since = start_;
    s.longest_dual = s.longest_none = milliseconds(0);
  }
}

void vip_watch::run() {
  std::vector<pollfd> fds;
  for (const auto& s : sockets_) fds.push_back({s.fd, POLLIN, 0});
  fds.push_back({stop_fd_, POLLIN, 0});
  for (;;) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds.back().revents != 0) return;
    for (std::size_t i = 0; i < sockets_.size(); ++i) {
      if (fds[i].revents != 0) read_node(sockets_[i]);
    }
  }
}

void vip_watch::read_node(node_socket& n) {
  std::vector<char> buf(64 * 1024);
  for (;;) {
    const ssize_t got = ::recv(n.fd, buf.data(), buf.size(), 0);
    const auto at = steady::now();
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        // Events were dropped: what the node holds now is the truth again.
        try {
          resync(n, "resync after lost events (ENOBUFS):");
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex_);
          events_.push_back({at, n.node.name, "", std::string("lost events; ") + e.what(), ""});
        }
        continue;
      }
      return;  // EAGAIN: drained
    }
    bool done = false;
    int error = 0;
    for (const auto& m : parse(buf.data(), static_cast<std::size_t>(got), done, error)) {
      std::lock_guard lock(mutex_);
      apply(n.node.name, m.address, {m.ifindex, m.interface}, m.add, m.add ? "add" : "del", at);
    }
  }
}

void vip_watch::resync(const node_socket& n, const char* why) {
  auto now_held = dump_addresses(n.node.netns);
  const auto at = steady::now();
  std::lock_guard lock(mutex_);
  const std::string what = why;
  for (auto& [vip, s] : state_) {
    std::map<int, std::string> held;  // ifindex -> interface
    for (const auto& m : now_held) {
      if (m.address == vip) held[m.ifindex] = m.interface;
    }
    const auto before = s.holders[n.node.name];
    for (int i : before) {
      if (!held.count(i))
        apply(n.node.name, vip, {i, "if" + std::to_string(i)}, false, what + " gone", at);
    }
    for (const auto& [i, name] : held) {
      if (!before.count(i)) apply(n.node.name, vip, {i, name}, true, what + " held", at);
    }
  }
}

// Under mutex_. Closes the interval that ends when the owner count moves
// between the classes none / one / two or more.
void vip_watch::apply(const std::string& node, const std::string& vip, const interface_ref& where,
                      bool add, const std::string& what, steady::time_point at) {
  auto it = state_.find(vip);
  if (it == state_.end()) return;  // not a VIP we watch
  auto& s = it->second;
  const auto owners = [&] {
    std::size_t n = 0;
    for (const auto& [name, interfaces] : s.holders) n += interfaces.empty() ? 0 : 1;
    return std::min<std::size_t>(n, 2);
  };
  const auto before = owners();
  if (add) {
    s.holders[node].insert(where.index);
  } else {
    s.holders[node].erase(where.index);
  }
  const auto after = owners();
  events_.push_back({at, node, vip, what, where.name});
  if (before == after) return;
  const auto lasted = std::chrono::duration_cast<milliseconds>(at - s.since);
  if (before == 2) s.longest_dual = std::max(s.longest_dual, lasted);
  if (before == 0) s.longest_none = std::max(s.longest_none, lasted);
  s.since = at;
}

steady::time_point vip_watch::now_locked() const {
  return stopped_ != steady::time_point{} ? stopped_ : steady::now();
}

vip_ownership vip_watch::ownership_locked(const std::string& vip, steady::time_point now) const {
  vip_ownership out;
  out.vip = vip;
  const auto it = state_.find(vip);
  if (it == state_.end()) throw lab_error("vip_watch: " + vip + " is not watched");
  const auto& s = it->second;
  for (const auto& [name, interfaces] : s.holders) {
    if (!interfaces.empty()) out.owners.push_back(name);
  }
  out.dual_owner = s.longest_dual;
  out.no_owner = s.longest_none;
  const auto open = std::chrono::duration_cast<milliseconds>(now - std::max(s.since, start_));
  if (out.owners.size() >= 2) out.dual_owner = std::max(out.dual_owner, open);
  if (out.owners.empty()) out.no_owner = std::max(out.no_owner, open);
  return out;
}

std::vector<vip_ownership> vip_watch::ownership() const {
  std::lock_guard lock(mutex_);
  std::vector<vip_ownership> out;
  for (const auto& v : vips_) out.push_back(ownership_locked(v, now_locked()));
  return out;
}

vip_ownership vip_watch::ownership(const std::string& vip) const {
  std::lock_guard lock(mutex_);
  return ownership_locked(normalize(vip), now_locked());
}

milliseconds vip_watch::worst_dual_owner() const {
  milliseconds worst{0};
  for (const auto& o : ownership()) worst = std::max(worst, o.dual_owner);
  return worst;
}

milliseconds vip_watch::worst_no_owner() const {
  milliseconds worst{0};
  for (const auto& o : ownership()) worst = std::max(worst, o.no_owner);
  return worst;
}

std::string vip_watch::timeline() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& e : events_) {
    out << "  " << (e.at < start_ ? "+0ms" : ms_since(start_, e.at)) << " " << e.node << " "
        << e.what << " " << e.vip << " " << e.interface << "\n";
  }
  if (events_.empty()) out << "  (no address events)\n";
  return out.str();
}

}  // namespace lbha::lab
