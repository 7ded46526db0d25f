#include "replicator/sync/daemon_main.hpp"

#include <unistd.h>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "replicator/sync/grpc_table_port.hpp"
#include "replicator/sync/settings.hpp"
#include "replicator/sync/status_service.hpp"
#include "replicator/sync/syncd.hpp"

namespace lbha::sync {
namespace {

struct syncd_flags {
  std::vector<std::string> peer_specs;
  std::string listen = "0.0.0.0";
  unsigned port = 0;
  std::string local_name;
};

// node.yaml + cluster.yaml (+ --peer and --local-name) -> this node's settings.
result<node_settings> settings_of(const node_files& files, const syncd_flags& flags) {
  std::vector<peer_config> extra;
  for (const auto& spec : flags.peer_specs) {
    peer_config p;
    if (!parse_peer_spec(spec, p))
      return error(std::errc::invalid_argument,
                   "invalid --peer '" + spec + "': expected NAME=ADDRESS:PORT");
    extra.push_back(std::move(p));
  }
  node_settings settings = settings_from(files.node, files.cluster, extra);
  if (!flags.local_name.empty()) settings.local_name = flags.local_name;
  settings.pid = std::to_string(::getpid());
  settings.seed = static_cast<std::uint32_t>(::getpid());
  for (const auto& t : settings.tables) {
    get_logger("syncd")->info("table {} ({}, {} real servers, expire {} ms)", t.name,
                              t.key == key_type::ipv6 ? "ipv6" : "ip", t.servers.size(),
                              t.expire_ms);
  }
  return settings;
}

std::uint16_t port_of(const node_files& files, const syncd_flags& flags) {
  if (flags.port) return static_cast<std::uint16_t>(flags.port);
  const auto configured = files.node.ports().sync();
  return static_cast<std::uint16_t>(configured ? configured : 7778);
}

class syncd_component final : public daemon_component {
 public:
  syncd_component(daemon_environment& env, const syncd_flags& flags, node_settings settings)
      : flags_(flags),
        table_(env.io, unix_channel(socket_path(env.files.dirs.run_dir, "proxyd"))),
        daemon_(env.io, std::move(settings),
                syncd_options{.listen_address = flags.listen, .port = port_of(env.files, flags)},
                table_, env.clock),
        service_(env.io, daemon_, env.runtime.reloader()) {}

  result<void> start() override { return daemon_.start(); }
  std::vector<grpc::Service*> services() override { return {&service_}; }

  result<void> reload(const node_files& files) override {
    auto settings = settings_of(files, flags_);
    if (!settings) return settings.error();
    if (!flags_.port && port_of(files, flags_) != daemon_.port()) {
      get_logger("syncd")->warn("ports.sync changed to {}: the listener stays on {} until a restart",
                                port_of(files, flags_), daemon_.port());
    }
    if (!daemon_.reconfigure(std::move(settings.value())))
      get_logger("syncd")->info("reload: nothing changed");
    return success();
  }

  void stop() override { daemon_.stop(); }

  std::string summary() const override {
    return "peers protocol on port " + std::to_string(daemon_.port());
  }

 private:
  syncd_flags flags_;
  grpc_table_port table_;
  syncd daemon_;
  status_service service_;
};

}  // namespace

daemon_spec syncd_spec() {
  auto flags = std::make_shared<syncd_flags>();
  return {
      .name = "syncd",
      .description = "lbha-syncd: persistence-table sync (HAProxy peers protocol 2.1)",
      .add_options =
          [flags](CLI::App& app) {
            app.add_option("--peer", flags->peer_specs,
                           "extra named peer NAME=ADDRESS:PORT, e.g. a HAProxy (repeatable)");
            app.add_option("--listen", flags->listen, "address to listen on and dial from")
                ->capture_default_str();
            app.add_option("--port", flags->port, "TCP port (default node.yaml ports.sync, 7778)");
            app.add_option("--local-name", flags->local_name,
                           "peer name (default node.yaml node_name)");
          },
      .make = [flags](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        auto settings = settings_of(env.files, *flags);
        if (!settings) return settings.error();
        return std::make_unique<syncd_component>(env, *flags, std::move(settings.value()));
      },
  };
}

}  // namespace lbha::sync
