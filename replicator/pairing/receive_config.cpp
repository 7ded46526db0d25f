#include <cstdlib>
#include <iostream>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "common/daemon_options.hpp"
#include "replicator/pairing/receiver.hpp"
#include "replicator/pairing/replicatord.hpp"

namespace lbha::pairing {

namespace {

std::string self_path(const char* argv0) {
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(argv0) : exe.string();
}

int reply_and_exit(const receive_reply& reply) {
  std::cout << format_reply(reply) << std::endl;
  return reply.ok ? 0 : 1;
}

}  // namespace

int receive_config_main(int argc, char** argv) {
  CLI::App app{"lbha-receive-config: applies a config pushed by the primary (SSH forced command)"};
  daemon_options options;
  // sshd's SetEnv lets several lab nodes share one login user; production uses the default.
  if (const char* env = std::getenv("LBHA_NODE_CONFIG")) options.node_config = env;
  add_daemon_options(app, options);
  bool restricted = false;
  app.add_flag("--restricted", restricted,
               "running as the forced command of the primary's key: refuse pairing requests");
  CLI11_PARSE(app, argc, argv);
  if (!apply_log_level(options)) return 2;

  auto node = load_node_context(options);
  if (!node) {
    receive_reply reply;
    reply.message = "cannot load " + options.node_config.string() + ": " + node.error().message();
    return reply_and_exit(reply);
  }
  auto request = decode_request(std::cin);
  if (!request) {
    receive_reply reply;
    reply.node = node.value().node_name;
    reply.message = request.error().message();
    return reply_and_exit(reply);
  }
  std::error_code ec;
  auto node_config = std::filesystem::absolute(options.node_config, ec);
  std::string forced = self_path(argv[0]) + " --node-config " + node_config.string();
  if (!options.state_dir.empty()) forced += " --state-dir " + options.state_dir.string();
  if (!options.run_dir.empty()) forced += " --run-dir " + options.run_dir.string();
  forced += " --log-level warn --restricted";
  grpc_local_daemons daemons(node.value().run_dir);
  receiver rx(node.value(), forced, daemons);
  return reply_and_exit(rx.handle(request.value(), restricted));
}

}  // namespace lbha::pairing
