// Lab scenario of issue 6 (label `lab`, root): after a failover a client with
// a sticky entry lands on the same real server.
//
// lb1 and lb2 each run the reference set: lbha-heartbeatd (paired), lbha-proxyd
// and lbha-syncd. rs1 and rs2 run lbha-lab-server answering "server rsN".
// The VIP balances round robin with source-IP persistence. Four clients
// connect in turn through lb1 (rs1, rs2, rs1, rs2); lb1's link goes down, lb2
// takes over, and the clients come back in the reverse order. Without the
// replicated table, lb2's fresh round robin would send every one of them to
// the other server; with it, each must land where it was.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>

#include "common/config/config.hpp"
#include "common/grpc_unix.hpp"
#include "lbha/v1/ha.grpc.pb.h"
#include "lbha/v1/proxy.grpc.pb.h"
#include "lbha/v1/sync.grpc.pb.h"
#include "tests/lab/binaries.hpp"
#include "tests/lab/lab_fixture.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/pairing_files.hpp"
#include "tests/lab/wait.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <functional>

#include "common/asio_ssl.hpp"
#include "common/state/pair_certificate.hpp"
#include "replicator/sync/session.hpp"
#include "replicator/sync/table_store.hpp"

namespace lbha::sync {
namespace {

using namespace std::chrono_literals;
namespace v1 = lbha::v1;
using lab::wait_until;

constexpr const char* heartbeat_key_hex =
    "5f0c7ab1e29d43c68a1b7e4f20d9c3a6b8e1f4027d5a9c6b3e8f1a2d4c7b9e06";
constexpr int clients = 4;

class sync_failover_lab : public lab::lab_test {
 protected:
  // Configures and starts the pair; returns the lab.
  lab::lab& start_pair() {
    auto& l = make_lab({.lb_nodes = 2, .servers = 2, .clients = clients});
    v1::ClusterConfig cluster;
    cluster.set_generation(1);
    auto* ha = cluster.mutable_ha();
    ha->set_interval_ms(100);
    ha->set_deadtime_ms(1000);
    ha->set_warntime_ms(500);
    ha->set_initdead_ms(1000);
    ha->mutable_arp_probe()->set_enabled(true);
    ha->mutable_arp_probe()->set_timeout_ms(30);
    ha->mutable_arp_probe()->set_count(2);
    auto* vs = cluster.add_virtual_services();
    vs->set_label("web");
    vs->set_ip(lab::vip(0));
    auto* ports = vs->add_ports();
    ports->set_first(80);
    ports->set_last(80);
    vs->set_balance(v1::BALANCE_ROUNDROBIN);
    vs->mutable_persistence()->set_mode(v1::Persistence::MODE_SOURCE_IP);
    vs->mutable_persistence()->set_timeout_s(1800);
    vs->mutable_check()->set_type(v1::HealthCheck::TYPE_CONNECT);
    vs->mutable_check()->set_interval_ms(200);
    vs->mutable_check()->set_timeout_ms(200);
    vs->mutable_check()->set_rise(1);
    for (int s = 1; s <= 2; ++s) {
      auto* rs = vs->add_real_servers();
      rs->set_label("rs" + std::to_string(s));
      rs->set_ip(l.server(s).ipv4);
      l.start(l.server(s).name, "http",
              {lab::lab_server_binary().string(), l.server(s).ipv4, "80", "--name", "rs" + std::to_string(s)});
    }
    config::apply_defaults(cluster);
    for (int i = 1; i <= 2; ++i) {
      const auto node_yaml = l.write_node_yaml(i);
      l.write_cluster_yaml(i, cluster);
      const auto state = l.lb(i).state_dir();
      lab::write_pairing_files(state, i, heartbeat_key_hex);
      start_daemon(l, i, "proxyd", LBHA_PROXYD_PATH, node_yaml);
      start_daemon(l, i, "syncd", LBHA_SYNCD_PATH, node_yaml);
      start_daemon(l, i, "heartbeatd", LBHA_HEARTBEATD_PATH, node_yaml);
    }
    return l;
  }

  static void start_daemon(lab::lab& l, int i, const std::string& daemon, const char* binary,
                           const std::filesystem::path& node_yaml) {
    auto& p = l.start(l.lb(i).name, daemon,
                      {lab::built_binary(binary).string(), "--node-config", node_yaml.string()});
    const auto sock = socket_path(l.lb(i).run_dir(), daemon);
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(sock); }, 5s)) << p.logs();
  }

  static bool holds_vip(const lab::lab& l, int i) {
    auto r = l.exec(l.lb(i).name, {"ip", "-4", "-o", "addr", "show", "dev", "eth0"});
    return r.out.find(" " + lab::vip(0) + "/32") != std::string::npos;
  }

  static v1::SyncStatus sync_status(const lab::lab& l, int i) {
    auto stub = v1::Sync::NewStub(unix_channel(socket_path(l.lb(i).run_dir(), "syncd")));
    auto context = context_with_deadline(2s);
    v1::SyncStatus status;
    stub->GetStatus(context.get(), {}, &status);
    return status;
  }

  static std::uint64_t proxyd_entries(const lab::lab& l, int i) {
    auto stub = v1::Proxy::NewStub(unix_channel(socket_path(l.lb(i).run_dir(), "proxyd")));
    auto context = context_with_deadline(2s);
    v1::ProxyStatus status;
    stub->GetStatus(context.get(), {}, &status);
    return status.stick_entries();
  }

  // The real server client c reaches through the VIP ("" when nothing answers).
  static std::string reaches(const lab::lab& l, int c) {
    auto r = lab::http_get(l.client(c).netns, lab::vip(0), 80, "/", 500ms);
    if (!r.ok) return "";
    auto body = r.body;
    while (!body.empty() && body.back() == '\n') body.pop_back();
    return body.rfind("server ", 0) == 0 ? body.substr(7) : body;
  }
};

TEST_F(sync_failover_lab, sticky_clients_land_on_the_same_real_servers_after_a_failover) {
  auto& l = start_pair();
  ASSERT_TRUE(wait_until([&] { return holds_vip(l, 1) && !holds_vip(l, 2); }, 10s));
  ASSERT_TRUE(wait_until(
      [&] {
        auto a = sync_status(l, 1), b = sync_status(l, 2);
        return a.peers_size() == 1 && a.peers(0).connected() && a.proxy_connected() &&
               b.peers_size() == 1 && b.peers(0).connected() && b.proxy_connected() &&
               !a.resync_pending() && !b.resync_pending();
      },
      15s));

  std::map<int, std::string> stuck;
  for (int c = 1; c <= clients; ++c) {
    ASSERT_TRUE(wait_until([&] { return !(stuck[c] = reaches(l, c)).empty(); }, 5s)) << "client " << c;
    EXPECT_EQ(reaches(l, c), stuck[c]) << "client " << c << " is stuck";
  }
  std::set<std::string> used;
  for (auto& [c, s] : stuck) used.insert(s);
  ASSERT_EQ(used.size(), 2u) << "round robin spreads the clients over both real servers";
  ASSERT_TRUE(wait_until([&] { return proxyd_entries(l, 2) == clients; }, 5s))
      << "lb2's proxyd has every entry before the failover";

  l.link_down(l.lb(1).name);
  ASSERT_TRUE(wait_until([&] { return holds_vip(l, 2); }, 5s));
  // Back in the reverse order: a fresh round robin would pick the other
  // server for each of them.
  for (int c = clients; c >= 1; --c) {
    std::string now;
    ASSERT_TRUE(wait_until([&] { return !(now = reaches(l, c)).empty(); }, 5s)) << "client " << c;
    EXPECT_EQ(now, stuck[c]) << "client " << c << " after the failover";
  }
}

// lb2 unplugged; a third namespace (client 1's) takes its address and lb1's
// ARP entry for it is gone: what a successful ARP spoof achieves.
std::string spoof_peer(lab::lab& l) {
  const std::string peer = l.lb(2).ipv4;
  l.link_down(l.lb(2).name);
  l.add_address(l.client(1).name, peer + "/24");
  l.exec_checked(l.lb(1).name, {"ip", "neigh", "flush", "dev", "eth0"});
  return peer;
}

// The attacker's bytes: our hello as the pair partner, then a DEFINE of "web"
// and an UPDATE sticking `client` to rs2 for 49 days.
struct crafted {
  bytes hello;
  bytes update;
};
crafted craft(const std::string& client) {
  const std::vector<table_definition> tables = {
      sync_table({.name = "web", .key = key_type::ipv4, .expire_ms = 1800000, .servers = {"rs1", "rs2"}})
          .definition(1)};
  peer_session s(session_role::outgoing, tables);
  s.send_hello({.called_name = "lb1", .sender_name = "lb2", .pid = "1", .relative_pid = "1"});
  crafted out{.hello = s.take_output(), .update = {}};
  std::vector<session_event> events;
  const std::string ok = "200\n";
  s.receive(byte_view(reinterpret_cast<const std::uint8_t*>(ok.data()), ok.size()), events);
  update_message u;
  u.update_id = 1;
  const auto a = asio::ip::make_address_v4(client).to_bytes();
  u.key.assign(a.begin(), a.end());
  u.expire_ms = 49u * 24 * 3600 * 1000;
  u.server_id = 2;
  u.server_key = "rs2";
  s.send_update(0, u);
  out.update = s.take_output();
  return out;
}

// From `netns`, bound to `source`: connect to target:7778, speak TLS with a
// certificate of its own when `tls`, send the hello and the update, and
// return whatever came back before the close (the status line on success).
std::string attack(const std::string& netns, const std::string& source, const std::string& target,
                   bool tls, const crafted& c) {
  using tcp = asio::ip::tcp;
  asio::io_context io;
  tcp::socket socket(io);
  socket.assign(tcp::v4(), lab::make_socket(netns, AF_INET, SOCK_STREAM));
  socket.bind({asio::ip::make_address(source), 0});
  boost::system::error_code ec;
  socket.connect({asio::ip::make_address(target), 7778}, ec);
  if (ec) return "connect: " + ec.message();
  asio::ssl::context ctx(asio::ssl::context::tls);
  const auto own = state::make_pair_certificate("attacker").value();
  ctx.use_certificate_chain(asio::buffer(own.certificate_pem));
  ctx.use_private_key(asio::buffer(own.private_key_pem), asio::ssl::context::pem);
  ctx.set_verify_mode(asio::ssl::verify_none);
  asio::ssl::stream<tcp::socket&> stream(socket, ctx);
  std::string reply;
  std::array<char, 4096> buf;
  auto exchange = [&](auto& s) {
    asio::async_write(s, asio::buffer(c.hello), [](auto, auto) {});
    asio::async_write(s, asio::buffer(c.update), [](auto, auto) {});
    std::function<void()> read = [&] {
      s.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t n) {
        reply.append(buf.data(), n);
        if (!e) read();
      });
    };
    read();
  };
  if (tls) {
    stream.async_handshake(asio::ssl::stream_base::client, [&](boost::system::error_code e) {
      if (e) {
        reply = "handshake: " + e.message();
        return;
      }
      exchange(stream);
    });
  } else {
    exchange(socket);
  }
  io.run_for(3s);
  return reply;
}

TEST_F(sync_failover_lab, a_spoofer_of_the_peers_address_without_the_pair_certificate_is_refused) {
  auto& l = start_pair();
  ASSERT_TRUE(wait_until(
      [&] {
        auto a = sync_status(l, 1);
        return a.peers_size() == 1 && a.peers(0).connected() && a.paired() && !a.resync_pending();
      },
      15s));
  const std::string peer = spoof_peer(l);
  const auto before = sync_status(l, 1);
  const auto bytes = craft(l.client(2).ipv4);

  const auto plain = attack(l.client(1).netns, peer, l.lb(1).ipv4, false, bytes);
  EXPECT_EQ(plain.find("200"), std::string::npos) << plain;
  const auto tls = attack(l.client(1).netns, peer, l.lb(1).ipv4, true, bytes);
  EXPECT_EQ(tls.find("200"), std::string::npos) << tls;

  ASSERT_TRUE(wait_until(
      [&] {
        return sync_status(l, 1).refused_unauthenticated() >= before.refused_unauthenticated() + 2;
      },
      5s))
      << "refused_unauthenticated " << sync_status(l, 1).refused_unauthenticated();
  const auto after = sync_status(l, 1);
  EXPECT_EQ(after.tables(0).entries(), 0u) << "no entry applied in syncd";
  EXPECT_EQ(proxyd_entries(l, 1), 0u) << "no entry applied in proxyd";
  EXPECT_EQ(after.peers(0).updates_received(), before.peers(0).updates_received());
  EXPECT_EQ(reaches(l, 2).empty(), false);  // client 2 is balanced afresh, not stuck by the spoofer
}

// A flood of idle connections from the (spoofed) peer address holds at most
// the per-address limit; the rest are refused and counted.
TEST_F(sync_failover_lab, a_connection_flood_from_one_address_is_capped) {
  auto& l = start_pair();
  const std::string peer = spoof_peer(l);
  const auto before = sync_status(l, 1);
  std::vector<int> held;
  for (int i = 0; i < 50; ++i) {
    const int fd = lab::make_socket(l.client(1).netns, AF_INET, SOCK_STREAM);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, peer.c_str(), &from.sin_addr);
    ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(7778);
    inet_pton(AF_INET, l.lb(1).ipv4.c_str(), &to.sin_addr);
    ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
    held.push_back(fd);
  }
  // At most 4 per address are held (until the 5 s handshake timeout); the
  // real lb2's session, silent since its cable was pulled, may still hold one
  // of them. Every other one is refused at once, and all 50 are accounted for.
  EXPECT_TRUE(wait_until(
      [&] { return sync_status(l, 1).connections_over_limit() >= before.connections_over_limit() + 46; },
      5s))
      << sync_status(l, 1).connections_over_limit();
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now = sync_status(l, 1);
        return now.connections_over_limit() - before.connections_over_limit() +
                   now.handshake_timeouts() - before.handshake_timeouts() ==
               50;
      },
      8s))
      << sync_status(l, 1).DebugString() << before.DebugString();
  EXPECT_GE(sync_status(l, 1).handshake_timeouts(), before.handshake_timeouts() + 3);
  for (int fd : held) ::close(fd);
}

}  // namespace
}  // namespace lbha::sync
