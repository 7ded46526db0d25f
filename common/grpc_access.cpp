#include "common/grpc_access.hpp"

#include <grp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <mutex>
#include <unordered_map>

namespace lbha {

namespace {

std::mutex peers_mutex;
std::unordered_map<int, peer_credentials>& peers() {
  static std::unordered_map<int, peer_credentials> map;
  return map;
}

std::optional<gid_t> host_group_id(std::string_view name) {
  group entry{};
  group* found = nullptr;
  std::vector<char> buf(4096);
  const std::string n(name);
  while (::getgrnam_r(n.c_str(), &entry, buf.data(), buf.size(), &found) == ERANGE)
    buf.resize(buf.size() * 2);
  if (found == nullptr) return std::nullopt;
  return found->gr_gid;
}

bool in_group(const peer_credentials& peer, std::optional<gid_t> gid) {
  if (!gid) return false;
  return peer.gid == *gid ||
         std::find(peer.groups.begin(), peer.groups.end(), *gid) != peer.groups.end();
}

}  // namespace

const std::vector<std::string_view>& read_methods() {
  // Read: what `lbctl status` and the read-only lbctl commands call, and
  // Proxy.Ready (heartbeatd asks whether proxyd may take VIPs); the config
  // history (cluster.yaml itself is world-readable). The stick table
  // streams (WatchTable, SnapshotTable) name clients and are syncd's, so change.
  static const std::vector<std::string_view> methods{
      "/lbha.v1.Ha/GetStatus",        "/lbha.v1.Ha/WatchStatus",
      "/lbha.v1.Proxy/GetStatus",     "/lbha.v1.Proxy/Ready",
      "/lbha.v1.Sync/GetStatus",      "/lbha.v1.Replication/GetStatus",
      "/lbha.v1.Replication/History", "/lbha.v1.Replication/GetGeneration",
      "/lbha.v1.Web/GetStatus",
  };
  return methods;
}

bool is_read_method(std::string_view full_method) {
  const auto& m = read_methods();
  return std::find(m.begin(), m.end(), full_method) != m.end();
}

grpc::Status authorize(const peer_credentials& peer, std::string_view full_method,
                       const group_lookup& group_id) {
  if (peer.uid == 0 || peer.uid == ::geteuid()) return grpc::Status::OK;
  const bool read = is_read_method(full_method);
  if (in_group(peer, group_id(admin_group))) return grpc::Status::OK;
  if (read && in_group(peer, group_id(read_group))) return grpc::Status::OK;
  const std::string method(full_method.substr(full_method.empty() ? 0 : 1));
  const std::string needs = read ? "root or membership of group " + std::string(read_group) +
                                       " or " + std::string(admin_group)
                                 : "root or membership of group " + std::string(admin_group);
  return {grpc::StatusCode::PERMISSION_DENIED,
          method + (read ? " reads" : " changes") + " the node and needs " + needs +
              " (caller uid " + std::to_string(peer.uid) + " is not)"};
}

grpc::Status authorize(const peer_credentials& peer, std::string_view full_method,
                       const access_groups& groups) {
  return authorize(peer, full_method, [&](std::string_view name) {
    return name == admin_group ? groups.admin : groups.read;
  });
}

grpc::Status authorize(const grpc::ServerContext* context, std::string_view full_method) {
  auto peer = peer_of(context);
  if (!peer)
    return {grpc::StatusCode::PERMISSION_DENIED,
            "the caller's credentials are unknown (not a local Unix socket connection)"};
  return authorize(*peer, full_method, group_lookup(host_group_id));
}

void remember_peer(int fd, peer_credentials peer) {
  std::lock_guard lock(peers_mutex);
  peers()[fd] = std::move(peer);
}

std::optional<peer_credentials> peer_of(const grpc::ServerContext* context) {
  if (context == nullptr) return std::nullopt;
  // gRPC names a connection handed over with AddInsecureChannelFromFd "fd:<n>".
  const std::string peer = context->peer();
  constexpr std::string_view prefix = "fd:";
  if (peer.rfind(prefix, 0) != 0) return std::nullopt;
  int fd = -1;
  const char* begin = peer.data() + prefix.size();
  const char* end = peer.data() + peer.size();
  if (auto [p, ec] = std::from_chars(begin, end, fd); ec != std::errc{} || p != end)
    return std::nullopt;
  std::lock_guard lock(peers_mutex);
  auto it = peers().find(fd);
  if (it == peers().end()) return std::nullopt;
  return it->second;
}

std::optional<peer_credentials> read_peer_credentials(int fd) {
  ucred cred{};
  socklen_t len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  peer_credentials out{cred.pid, cred.uid, cred.gid, {}};
  // The caller's supplementary groups as they were at connect(): exact for
  // that process (a process that dropped a group has not got it) and free of
  // the pid-reuse race of reading /proc/<pid>/status later.
  std::vector<gid_t> groups(64);
  for (;;) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      break;
    }
    if (errno != ERANGE) return std::nullopt;
    groups.resize(glen / sizeof(gid_t) + 1);
  }
  out.groups = std::move(groups);
  return out;
}

}  // namespace lbha
