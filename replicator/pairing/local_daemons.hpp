// The seam between replication and the daemons on the same node.
//
// After a config lands (committed on the primary, received on the secondary)
// the local heartbeatd and proxyd re-read it; after pairing changes heartbeatd
// re-reads the heartbeat key and pairing identity. A daemon that is not
// running is not an error: it reads the files when it starts. grpc_local_daemons
// is the implementation; tests use a recording double.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace lbha::pairing {

class local_daemons {
 public:
  virtual ~local_daemons() = default;

  // Asks heartbeatd and (when `config_changed`) proxyd to reload; returns a
  // one-line summary for the operator such as "reloaded heartbeatd, proxyd".
  virtual std::string reload(bool config_changed) = 0;

  // heartbeatd's current term, or nullopt when it cannot be asked.
  virtual std::optional<std::uint64_t> current_term() = 0;
};

class grpc_local_daemons final : public local_daemons {
 public:
  explicit grpc_local_daemons(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}

  std::string reload(bool config_changed) override;
  std::optional<std::uint64_t> current_term() override;

 private:
  std::filesystem::path run_dir_;
};

}  // namespace lbha::pairing
