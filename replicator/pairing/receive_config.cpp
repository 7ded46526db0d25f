#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "common/daemon_options.hpp"
#include "replicator/pairing/node_context.hpp"
#include "replicator/pairing/receive_socket.hpp"
#include "replicator/pairing/replicatord.hpp"

namespace lbha::pairing {

namespace {

int reply_and_exit(const receive_reply& reply) {
  std::cout << format_reply(reply) << std::endl;
  return reply.ok ? 0 : 1;
}

// sshd's SSH_CONNECTION: "<client address> <client port> <server address> <server port>".
std::string ssh_client_address() {
  const char* connection = std::getenv("SSH_CONNECTION");
  if (connection == nullptr) return "";
  std::istringstream fields(connection);
  std::string address;
  fields >> address;
  return address;
}

}  // namespace

// A relay, nothing more: it runs as the SSH login user, writes no file and
// opens no socket but <run-dir>/receive.sock, where root's replicatord does
// the work (receive_socket.hpp).
int receive_config_main(int argc, char** argv) {
  CLI::App app{
      "lbha-receive-config: hands a config pushed by the primary to lbha-replicatord (SSH "
      "forced command)"};
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
  const auto& name = node.value().node_name;
  auto framed = read_framed_request(STDIN_FILENO);
  if (!framed) {
    receive_reply reply;
    reply.node = name;
    reply.message = framed.error().message();
    return reply_and_exit(reply);
  }
  return reply_and_exit(relay_request(receive_socket_path(node.value().run_dir), name,
                                      {.restricted = restricted,
                                       .client_address = ssh_client_address()},
                                      framed.value()));
}

}  // namespace lbha::pairing
