// heartbeatd's view of the pairing: the cluster id as the 16 bytes every
// heartbeat carries and this node's id. Read from <state>/pairing, whose one
// parser is common/state/pairing_file.hpp; the persisted term is
// common/state/term_file.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "common/result.hpp"
#include "common/state/pairing_file.hpp"
#include "common/state/term_file.hpp"
#include "heartbeatd/wire.hpp"

namespace lbha::heartbeat {

struct identity {
  cluster_id cluster{};
  std::uint32_t node_id = 0;
};

// nullopt when the state dir holds no pairing (standalone).
result<std::optional<identity>> load_identity(const state::state_files& files);

}  // namespace lbha::heartbeat
