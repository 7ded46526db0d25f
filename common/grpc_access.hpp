// Who may call which gRPC method on a daemon's Unix socket.
//
// Methods are read (status and watches: what `lbctl status` needs) or change
// (everything else). A method is read only when it is in one table, in
// grpc_access.cpp, so a new method is a change until someone decides
// otherwise. read: uid 0, the daemon's own uid, or a member of group `lbha` or
// `lbha-admin`; change: uid 0, the daemon's own uid, or a member of `lbha-admin`.
//
// The caller is known from SO_PEERCRED and SO_PEERGROUPS, read when
// start_unix_server accepts the connection (common/grpc_unix.hpp) and kept
// here by the connection's fd, which is what ServerContext::peer() names
// ("fd:<n>"). Every handler starts with
//   if (auto denied = authorize(context, "/lbha.v1.Ha/MakeActive"); !denied.ok()) return denied;
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lbha {

inline constexpr std::string_view read_group = "lbha";
inline constexpr std::string_view admin_group = "lbha-admin";

struct peer_credentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary, from SO_PEERGROUPS
};

// The full names ("/lbha.v1.Ha/GetStatus") of every read method.
const std::vector<std::string_view>& read_methods();
bool is_read_method(std::string_view full_method);

// The ids of groups lbha and lbha-admin (nullopt: no such group).
struct access_groups {
  std::optional<gid_t> read;
  std::optional<gid_t> admin;
};
// The id of a group by name (lbha, lbha-admin); nullopt: no such group.
using group_lookup = std::function<std::optional<gid_t>(std::string_view name)>;

// OK, or PERMISSION_DENIED with a sentence naming the group the caller lacks.
// The uid decides first (root and the daemon's own uid need no group); only
// then is `group_id` asked, for lbha-admin and, for a read method, lbha.
grpc::Status authorize(const peer_credentials& peer, std::string_view full_method,
                       const group_lookup& group_id);
grpc::Status authorize(const peer_credentials& peer, std::string_view full_method,
                       const access_groups& groups);
// The same for the caller of `context`, with this host's groups (getgrnam,
// asked per call so a group created after start counts); a caller whose
// credentials were not recorded (not on a socket start_unix_server accepted)
// is refused.
grpc::Status authorize(const grpc::ServerContext* context, std::string_view full_method);

// Kept by the accepting side: the credentials of the connection on `fd`,
// replacing any recorded for an earlier connection that had the same fd.
void remember_peer(int fd, peer_credentials peer);
std::optional<peer_credentials> peer_of(const grpc::ServerContext* context);

// SO_PEERCRED and SO_PEERGROUPS of a connected Unix socket.
std::optional<peer_credentials> read_peer_credentials(int fd);

}  // namespace lbha
