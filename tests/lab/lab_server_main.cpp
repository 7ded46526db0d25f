// lbha-lab-server ADDRESS PORT [--name NAME] [--echo] [--freebind] [--tls PEM] [--proxy-protocol]
//                 [--report-peer]
#include <CLI/CLI.hpp>
#include <iostream>

#include "common/logging.hpp"
#include "common/shutdown.hpp"
#include "tests/lab/lab_server.hpp"

int main(int argc, char** argv) {
  lbha::lab::lab_server_options options;
  CLI::App app("lbha-lab-server: the lab's real server (HTTP, or TCP echo)");
  app.add_option("address", options.address, "address to listen on")->required();
  app.add_option("port", options.port, "TCP port")->required();
  app.add_option("--name", options.name, "name in every HTTP answer: \"server NAME\"")
      ->capture_default_str();
  app.add_flag("--echo", options.echo, "echo raw TCP instead of answering HTTP");
  app.add_flag("--freebind", options.freebind, "IP_FREEBIND: listen before the address exists");
  app.add_option("--tls", options.tls_pem,
                 "serve HTTPS with this certificate and key (one PEM file)");
  app.add_flag("--proxy-protocol", options.proxy_protocol,
               "expect a PROXY header (v1 or v2) first and answer with its client address");
  app.add_flag("--report-peer", options.report_peer,
               "answer with the TCP peer's address (\"client ADDRESS\"), as a server behind a "
               "transparent service sees it");
  CLI11_PARSE(app, argc, argv);

  lbha::asio::io_context io;
  lbha::lab::lab_server server(io, options);
  try {
    server.start();
  } catch (const std::exception& e) {
    std::cerr << "lbha-lab-server: cannot listen on " << options.address << ":" << options.port
              << ": " << e.what() << "\n";
    return 1;
  }
  lbha::shutdown_sequence shutdown;
  lbha::signal_watcher signals(io, shutdown);
  shutdown.push("signals", [&] { signals.stop(); });
  shutdown.push("server", [&] { server.stop(); });
  io.run();
  return 0;
}
