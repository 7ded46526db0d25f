#include "replicator/sync/daemon_main.hpp"

#include <unistd.h>

#include "common/grpc_unix.hpp"
#include "common/logging.hpp"
#include "common/state/pair_certificate.hpp"
#include "replicator/sync/grpc_table_port.hpp"
#include "replicator/sync/settings.hpp"
#include "replicator/sync/status_service.hpp"
#include "replicator/sync/syncd.hpp"

namespace lbha::sync {
namespace {

struct syncd_flags {
  std::vector<std::string> peer_specs;        // TLS with pair.pem
  std::vector<std::string> plain_peer_specs;  // plain TCP (a HAProxy without ssl)
  std::string listen;                         // empty: node.yaml local_addresses
  unsigned port = 0;
  std::string local_name;
};

// --peer and --plain-peer -> the extra peers (what --check and a reload check).
result<std::vector<peer_config>> extra_peers(const syncd_flags& flags) {
  std::vector<peer_config> extra;
  for (const auto* specs : {&flags.peer_specs, &flags.plain_peer_specs}) {
    const bool plain = specs == &flags.plain_peer_specs;
    for (const auto& spec : *specs) {
      peer_config p;
      if (!parse_peer_spec(spec, p))
        return error(std::errc::invalid_argument, "invalid " +
                                                      std::string(plain ? "--plain-peer" : "--peer") +
                                                      " '" + spec + "': expected NAME=ADDRESS:PORT");
      p.plain = plain;
      extra.push_back(std::move(p));
    }
  }
  return extra;
}

// node.yaml + cluster.yaml (+ --peer and --local-name) -> this node's settings.
result<node_settings> settings_of(const node_files& files, const syncd_flags& flags) {
  auto extra = extra_peers(flags);
  if (!extra) return extra.error();
  node_settings settings = settings_from(files.node, files.cluster, extra.value());
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

std::vector<std::string> listen_addresses(const node_files& files, const syncd_flags& flags) {
  if (!flags.listen.empty()) return {flags.listen};
  return {files.node.local_addresses().begin(), files.node.local_addresses().end()};
}

// <state-dir>/pair.pem; nullopt (logged) when missing or unusable: not paired.
std::optional<state::pair_certificate> pair_identity(const node_files& files) {
  const auto path = state::state_files(files.dirs.state_dir).pair_certificate();
  auto pair = state::read_pair_certificate(path);
  if (!pair) {
    get_logger("syncd")->error("{}: {}; the pair's sessions are not started",
                               path.string(), pair.error().message());
    return std::nullopt;
  }
  return pair.value();
}

class syncd_component final : public daemon_component {
 public:
  syncd_component(daemon_environment& env, const syncd_flags& flags, node_settings settings)
      : flags_(flags),
        alerts_(env.io, env.clock, "syncd"),
        listen_addresses_(listen_addresses(env.files, flags)),
        table_(env.io, unix_channel(socket_path(env.files.dirs.run_dir, "proxyd"))),
        daemon_(env.io, std::move(settings),
                syncd_options{.listen_addresses = listen_addresses(env.files, flags),
                              .port = port_of(env.files, flags),
                              .identity = pair_identity(env.files)},
                table_, env.clock),
        service_(env.io, daemon_, env.runtime.reloader()) {
    alerts_.configure(env.files.node);
    daemon_.set_alert_sink([this](alert_event e) { alerts_.emit(std::move(e)); });
    daemon_.set_alert_counters([this] { return alerts_.counters(); });
  }

  result<void> start() override { return daemon_.start(); }
  std::vector<grpc::Service*> services() override { return {&service_}; }

  result<void> reload(const node_files& files) override {
    auto settings = settings_of(files, flags_);
    if (!settings) return settings.error();
    alerts_.configure(files.node);
    if (!flags_.port && port_of(files, flags_) != daemon_.port()) {
      get_logger("syncd")->warn("ports.sync changed to {}: the listener stays on {} until a restart",
                                port_of(files, flags_), daemon_.port());
    }
    if (listen_addresses(files, flags_) != listen_addresses_) {
      get_logger("syncd")->warn("local_addresses changed: the listeners stay until a restart");
    }
    // pair.pem is read again: the reload that follows pairing starts the sessions.
    if (!daemon_.reconfigure(std::move(settings.value()), pair_identity(files)))
      get_logger("syncd")->info("reload: nothing changed");
    return success();
  }

  void stop() override {
    daemon_.stop();
    alerts_.stop();
  }

  std::string summary() const override {
    return "peers protocol on port " + std::to_string(daemon_.port());
  }

 private:
  syncd_flags flags_;
  event_hooks alerts_;  // outlives the daemon, which emits into it
  std::vector<std::string> listen_addresses_;
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
                           "extra named peer NAME=ADDRESS:PORT over TLS with pair.pem, e.g. a "
                           "HAProxy with `ssl crt` (repeatable)");
            app.add_option("--plain-peer", flags->plain_peer_specs,
                           "extra named peer NAME=ADDRESS:PORT over plain TCP, e.g. a HAProxy "
                           "without ssl (repeatable; unauthenticated, only on a trusted network)");
            app.add_option("--listen", flags->listen,
                           "the one address to listen on and dial from (default: node.yaml "
                           "local_addresses)");
            app.add_option("--port", flags->port, "TCP port (default node.yaml ports.sync, 7778)");
            app.add_option("--local-name", flags->local_name,
                           "peer name (default node.yaml node_name)");
          },
      .make = [flags](daemon_environment& env) -> result<std::unique_ptr<daemon_component>> {
        auto settings = settings_of(env.files, *flags);
        if (!settings) return settings.error();
        return std::make_unique<syncd_component>(env, *flags, std::move(settings.value()));
      },
      .validate = [flags](const node_files&) -> result<void> {
        if (auto extra = extra_peers(*flags); !extra) return extra.error();
        return success();
      },
  };
}

}  // namespace lbha::sync
