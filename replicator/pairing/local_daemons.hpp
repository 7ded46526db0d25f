// The seam between replication and the daemons on the same node.
//
// After a config lands (committed on the primary, received on the secondary)
// the local heartbeatd and proxyd re-read it; after pairing changes heartbeatd
// re-reads the heartbeat key and pairing identity. A daemon that is not
// running is not an error: it reads the files when it starts. One that runs
// but cannot be reached (the socket's group does not let this user in) or that
// refuses the new config is: the caller reports it instead of claiming the
// config is in force. grpc_local_daemons is the implementation; tests use a
// recording double.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "lbha/v1/config.pb.h"

namespace lbha::pairing {

struct reload_outcome {
  bool ok = true;       // false when a running daemon could not be reached or refused
  std::string summary;  // "reloaded proxyd, heartbeatd not running"
};

class local_daemons {
 public:
  virtual ~local_daemons() = default;

  // Asks proxyd, when `config` (the cluster config just written) is given,
  // then heartbeatd to reload. proxyd gets the config in the request, already
  // validated, rather than parsing cluster.yaml again; nullptr means only the
  // pairing files changed.
  virtual reload_outcome reload(const lbha::v1::ClusterConfig* config) = 0;

  // heartbeatd's current term, or nullopt when it cannot be asked.
  virtual std::optional<std::uint64_t> current_term() = 0;
};

class grpc_local_daemons final : public local_daemons {
 public:
  explicit grpc_local_daemons(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}

  reload_outcome reload(const lbha::v1::ClusterConfig* config) override;
  std::optional<std::uint64_t> current_term() override;

 private:
  std::filesystem::path run_dir_;
};

}  // namespace lbha::pairing
