// cli_context: lbctl's global options and where commands write.
//
// One instance lives for one lbctl run. Commands read the paths from it (the
// command line's, else node.yaml's, else the defaults), read `in`, write
// through `out` / `err` (std::cout / std::cerr in lbctl, string streams in
// tests) and leave their exit code in `exit_code`.
#pragma once

#include <filesystem>
#include <iostream>
#include <istream>
#include <ostream>

#include "cli/exit_codes.hpp"
#include "common/daemon_options.hpp"

namespace lbha::cli {

struct cli_context {
  std::filesystem::path run_dir = default_run_dir;  // daemons' gRPC sockets
  std::filesystem::path node_config = default_node_config;
  std::filesystem::path state_dir = default_state_dir;
  std::filesystem::path config_dir = default_config_dir;  // holds cluster.yaml
  bool json = false;                                      // machine-readable output on stdout

  std::istream* in = &std::cin;  // `config diff` reads a piped file
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  int exit_code = exit_code::ok;
};

}  // namespace lbha::cli
