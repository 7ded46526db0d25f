// Which WebUI access a Unix user has, from their groups: the same rule as the
// control sockets (common/grpc_access.hpp): lbha-admin may change, lbha may read.
#pragma once

#include <optional>
#include <string>

#include "web/session_store.hpp"

namespace lbha::web {

// admin for a member of lbha-admin (primary or supplementary group), read_only
// for a member of lbha, nullopt for neither or an unknown user. Asked at each
// log-in, so a group change counts from the next one.
std::optional<access> access_of_user(const std::string& user);

}  // namespace lbha::web
