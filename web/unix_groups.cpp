#include "web/unix_groups.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/grpc_access.hpp"

namespace lbha::web {

namespace {

std::optional<gid_t> group_id(std::string_view name) {
  std::vector<char> buffer(16384);
  group entry{};
  group* found = nullptr;
  if (getgrnam_r(std::string(name).c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr)
    return std::nullopt;
  return found->gr_gid;
}

}  // namespace

std::optional<access> access_of_user(const std::string& user) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr)
    return std::nullopt;
  int count = 64;
  std::vector<gid_t> groups(count);
  if (getgrouplist(user.c_str(), found->pw_gid, groups.data(), &count) < 0) {
    groups.resize(count);
    if (getgrouplist(user.c_str(), found->pw_gid, groups.data(), &count) < 0) return std::nullopt;
  }
  groups.resize(count);
  const auto member = [&](std::string_view name) {
    const auto gid = group_id(name);
    return gid && std::find(groups.begin(), groups.end(), *gid) != groups.end();
  };
  if (member(admin_group)) return access::admin;
  if (member(read_group)) return access::read_only;
  return std::nullopt;
}

}  // namespace lbha::web
