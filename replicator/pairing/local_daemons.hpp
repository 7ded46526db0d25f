// The seam between replication and the daemons on the same node.
//
// After a config lands (committed on the primary, received on the secondary)
// or the pairing files change, the node's data daemons reload, one after the
// other in reload_order: proxyd (what clients see; it listens with
// IP_FREEBIND, so it does not need heartbeatd to have added a new VIP yet),
// then syncd (its tables follow proxyd's persistent services, and proxyd must
// know a new service before syncd hands it the peer's entries for it), then
// heartbeatd (VIPs last, so a new VIP is served once it answers ARP). Each
// gets the same lbha.v1.ReloadRequest, its SIGHUP path: the committed config,
// already validated, or nothing (re-read the files) when only the pairing
// files changed.
//
// A daemon that is not running is not an error: it reads the files when it
// starts. One that runs but cannot be reached (the socket's group does not
// let this user in) or that refuses is: the reload stops there, and the
// caller reports it, naming the daemon, instead of claiming the config is in
// force. grpc_local_daemons is the implementation; reload_in_order is its
// logic over a reload_rpc seam, and tests use recording doubles of both.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "lbha/v1/config.pb.h"
#include "lbha/v1/reload.pb.h"

namespace lbha::pairing {

inline constexpr std::array<std::string_view, 3> reload_order{"proxyd", "syncd", "heartbeatd"};

struct reload_outcome {
  bool ok = true;       // false when a running daemon could not be reached or refused
  std::string summary;  // "reloaded proxyd, reloaded syncd, heartbeatd not running"
};

class local_daemons {
 public:
  virtual ~local_daemons() = default;

  // Reloads the daemons in reload_order. `config` is the cluster config just
  // written, carried in the request; nullptr has them re-read the files.
  virtual reload_outcome reload(const lbha::v1::ClusterConfig* config) = 0;

  // heartbeatd's current term, or nullopt when it cannot be asked.
  virtual std::optional<std::uint64_t> current_term() = 0;
};

// One daemon's Reload RPC.
class reload_rpc {
 public:
  virtual ~reload_rpc() = default;
  // The daemon's answer; nullopt when it is not running; an error when it
  // runs but did not answer.
  virtual result<std::optional<lbha::v1::ReloadResult>> reload(
      std::string_view daemon, const lbha::v1::ReloadRequest& request) = 0;
};

// Asks each daemon in reload_order; stops at the first that refuses or does
// not answer (the summary names it, and the daemons not asked).
reload_outcome reload_in_order(reload_rpc& rpc, const lbha::v1::ClusterConfig* config);

class grpc_local_daemons final : public local_daemons {
 public:
  explicit grpc_local_daemons(std::filesystem::path run_dir) : run_dir_(std::move(run_dir)) {}

  reload_outcome reload(const lbha::v1::ClusterConfig* config) override;
  std::optional<std::uint64_t> current_term() override;

 private:
  std::filesystem::path run_dir_;
};

}  // namespace lbha::pairing
