// Where a daemon finds its files: the command line wins over node.yaml, which
// (with its defaults filled in by the loader) wins over the built-in defaults.
#pragma once

#include <filesystem>

#include "common/daemon_options.hpp"
#include "lbha/v1/config.pb.h"

namespace lbha {

struct node_directories {
  std::filesystem::path config_dir;  // holds cluster.yaml
  std::filesystem::path state_dir;
  std::filesystem::path run_dir;     // gRPC sockets

  std::filesystem::path cluster_file() const { return config_dir / "cluster.yaml"; }
};

node_directories resolve_directories(const daemon_options& options,
                                     const lbha::v1::NodeConfig& node);

}  // namespace lbha
