// The split-brain catalogue (issue 15, item 3), operations part: what an
// operator does to a running pair, and what a third host on the LAN tries.
//
//   4  lbctl make-active on the passive node with sticky clients;
//   13 the secondary loses /etc/lbha and /var/lib/lbha and is brought back;
//   15 forged and replayed heartbeats, forged peers connections;
//   16 IPv6 VIP failover with unsolicited NA;
//   17 lbctl make-active on both nodes at the same moment;
//   19 a config committed while the secondary is cut off, then healed;
//   22 lbctl reload and config changes on the active node under client load.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include "lbha/v1/ha.pb.h"
#include "lbha/v1/sync.pb.h"
#include "tests/lab/audit.hpp"
#include "tests/lab/net.hpp"
#include "tests/lab/wait.hpp"
#include "tests/product/lbctl_json.hpp"
#include "tests/product/product_fixture.hpp"
#include "tests/product/scenario.hpp"

namespace lbha::lab {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

// The product's default HA timings (heartbeatd/README.md, product.hpp).
constexpr milliseconds deadtime = 1000ms;
// client_probe: an attempt every 20 ms with a 200 ms timeout. A SYN sent to a
// node that just released the VIP is lost (no RST: the address is gone), so a
// client sees the end of an outage up to one timeout plus one interval after
// it ended.
constexpr milliseconds probe_lag = 220ms;
// Scheduling slack on the shared 2-core machine (load 7 to 14 while the other
// engineers build): the heartbeat thread is SCHED_RR, the probes are not.
constexpr milliseconds slack = 280ms;
// A planned switch-over: README.md quotes ~10 ms for lbctl make-active (the
// peer releases, says so in a heartbeat sent at once, we take over without
// probing and announce).
constexpr milliseconds make_active_budget = 10ms + probe_lag + slack;
// A takeover from a silent peer: deadtime after its last heartbeat (the probe
// runs inside the deadtime), then the VIPs and the first announcement at once.
constexpr milliseconds takeover_budget = deadtime + probe_lag + slack;

int other(int i) { return 3 - i; }

std::uint64_t dropped(const v1::HaStatus& ha, const std::string& reason) {
  const auto it = ha.dropped().find(reason);
  return it == ha.dropped().end() ? 0 : it->second;
}

std::string ha_text(const product_lab& p, int i) { return p.lbctl(i, {"ha", "status"}).out; }

// Every probe has `more` answers from now on (so an outage is measured and
// has ended).
bool clients_served(scenario& s, int more = 10) {
  std::vector<int> before;
  for (const auto& probe : s.probes()) before.push_back(probe->successes());
  return wait_until(
      [&] {
        for (std::size_t k = 0; k < before.size(); ++k) {
          if (s.probes()[k]->successes() < before[k] + more) return false;
        }
        return true;
      },
      10s);
}

// Every client has a persistence entry on both nodes (syncd replicated them).
bool persistence_replicated(const product_lab& p) {
  return wait_until(
      [&] {
        for (int i : {1, 2}) {
          const auto table = parse_persistence(p.lbctl(i, {"persistence", "show", "--json"}).out);
          if (!table || table->size() < 2) return false;
        }
        return true;
      },
      5s);
}

// --- raw packets -----------------------------------------------------------------

// A descriptor closed on scope exit.
struct fd_guard {
  int fd;
  explicit fd_guard(int f) : fd(f) {}
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
};

void set_timeouts(int fd, milliseconds timeout) {
  timeval tv{.tv_sec = static_cast<time_t>(timeout.count() / 1000),
             .tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// The payload of one heartbeat from `from` as it arrives in `netns` (a copy
// taken off the wire with a packet socket, as a host on a mirrored port would).
std::string capture_heartbeat(const std::string& netns, const std::string& from) {
  fd_guard s(make_socket(netns, AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP)));
  set_timeouts(s.fd, 200ms);
  in_addr source{};
  ::inet_pton(AF_INET, from.c_str(), &source);
  const auto deadline = steady_clock::now() + 3s;
  char buf[2048];
  while (steady_clock::now() < deadline) {
    const auto n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < static_cast<ssize_t>(sizeof(iphdr))) continue;
    iphdr ip;
    std::memcpy(&ip, buf, sizeof ip);
    const std::size_t header = ip.ihl * 4u;
    if (ip.protocol != IPPROTO_UDP || ip.saddr != source.s_addr ||
        static_cast<std::size_t>(n) < header + sizeof(udphdr)) {
      continue;
    }
    udphdr udp;
    std::memcpy(&udp, buf + header, sizeof udp);
    if (ntohs(udp.dest) != 6694) continue;
    return std::string(buf + header + sizeof udp,
                       static_cast<std::size_t>(n) - header - sizeof udp);
  }
  return {};
}

// Sends `payload` to to:6694 from `netns` with the IPv4 source address `from`
// (a raw socket builds the header, so a third host can claim the peer's address).
void send_spoofed_udp(const std::string& netns, const std::string& from, const std::string& to,
                      const std::string& payload) {
  fd_guard s(make_socket(netns, AF_INET, SOCK_RAW, IPPROTO_RAW));
  std::string packet(sizeof(iphdr) + sizeof(udphdr) + payload.size(), '\0');
  iphdr ip{};
  ip.version = 4;
  ip.ihl = 5;
  ip.ttl = 64;
  ip.protocol = IPPROTO_UDP;
  ip.tot_len = htons(static_cast<std::uint16_t>(packet.size()));
  ::inet_pton(AF_INET, from.c_str(), &ip.saddr);
  ::inet_pton(AF_INET, to.c_str(), &ip.daddr);
  udphdr udp{};
  udp.source = htons(6694);
  udp.dest = htons(6694);
  udp.len = htons(static_cast<std::uint16_t>(sizeof(udphdr) + payload.size()));
  udp.check = 0;  // IPv4: no checksum
  std::memcpy(packet.data(), &ip, sizeof ip);
  std::memcpy(packet.data() + sizeof ip, &udp, sizeof udp);
  std::memcpy(packet.data() + sizeof ip + sizeof udp, payload.data(), payload.size());
  sockaddr_in dst{.sin_family = AF_INET, .sin_port = 0, .sin_addr = ip.daddr, .sin_zero = {}};
  ASSERT_EQ(::sendto(s.fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&dst),
                     sizeof dst),
            static_cast<ssize_t>(packet.size()))
      << std::strerror(errno);
}

// A TCP connection from `netns` (optionally bound to `source`) to to:port
// that sends `hello` and reads until the other end closes. True when it was
// closed (or reset) within the timeout, i.e. refused after the hello.
struct peer_attempt {
  bool connected = false;
  bool closed_by_peer = false;
  std::string answer;
};
peer_attempt forge_peers_session(const std::string& netns, const std::string& source,
                                 const std::string& to, std::uint16_t port,
                                 const std::string& hello) {
  peer_attempt out;
  fd_guard s(make_socket(netns, AF_INET, SOCK_STREAM));
  set_timeouts(s.fd, 6s);  // syncd's handshake limit is 5 s
  if (!source.empty()) {
    sockaddr_in local{.sin_family = AF_INET, .sin_port = 0, .sin_addr = {}, .sin_zero = {}};
    ::inet_pton(AF_INET, source.c_str(), &local.sin_addr);
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return out;
  }
  sockaddr_in dst{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}, .sin_zero = {}};
  ::inet_pton(AF_INET, to.c_str(), &dst.sin_addr);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) return out;
  out.connected = true;
  ::send(s.fd, hello.data(), hello.size(), MSG_NOSIGNAL);
  char buf[512];
  for (;;) {
    const auto n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n > 0) {
      out.answer.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    out.closed_by_peer = n == 0 || errno == ECONNRESET;
    return out;
  }
}

// --- a long-lived client connection -------------------------------------------------

// One HTTP/1.1 keep-alive connection from a client to a VIP, held across the
// scenario: each request() goes over the same TCP connection.
class held_connection {
 public:
  held_connection(const std::string& netns, const std::string& ip, std::uint16_t port)
      : fd_(make_socket(netns, AF_INET, SOCK_STREAM)) {
    set_timeouts(fd_.fd, 2s);
    sockaddr_in dst{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {}, .sin_zero = {}};
    ::inet_pton(AF_INET, ip.c_str(), &dst.sin_addr);
    connected_ = ::connect(fd_.fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) == 0;
  }
  bool connected() const { return connected_; }

  // The body of one GET on this connection; empty when the connection failed.
  std::string request() {
    const std::string get = "GET / HTTP/1.1\r\nHost: vip\r\n\r\n";
    if (::send(fd_.fd, get.data(), get.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(get.size())) {
      return {};
    }
    std::string in;
    char buf[1024];
    for (;;) {
      const auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::string headers = in.substr(0, end);
        for (auto& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto field = headers.find("content-length:");
        if (field == std::string::npos) return {};
        const auto digits = headers.find_first_not_of(' ', field + 15);
        if (digits == std::string::npos || !std::isdigit(static_cast<unsigned char>(headers[digits]))) {
          return {};
        }
        const auto length = std::stoul(headers.substr(digits));
        if (in.size() >= end + 4 + length) return in.substr(end + 4, length);
      }
      const auto n = ::recv(fd_.fd, buf, sizeof buf, 0);
      if (n <= 0) return {};
      in.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  fd_guard fd_;
  bool connected_ = false;
};

// True when the watch saw no VIP added or removed on any node since it started.
bool no_vip_event(const vip_watch& watch) {
  const auto timeline = watch.timeline();
  return timeline.find(" add ") == std::string::npos && timeline.find(" del ") == std::string::npos;
}

class operations : public product_test {};

// Item 4. `lbctl make-active` on the passive node is a coordinated
// switch-over (heartbeatd/README.md): lb1 releases and says so in a heartbeat
// sent at once, lb2 takes over on it without probing. syncd had replicated
// both clients' persistence entries, so each sticky client stays on its real
// server on lb2. Budget: make_active_budget (README's ~10 ms + probe lag).
TEST_F(operations, make_active_on_the_passive_node_keeps_sticky_clients_on_their_servers) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "make_active_with_sticky_clients", {.outage_budget = make_active_budget});
  ASSERT_TRUE(clients_served(s));
  ASSERT_TRUE(persistence_replicated(p)) << p.lbctl(2, {"persistence", "show"}).out;
  const auto server_before = s.sticky_server();
  const auto takeovers_before = ha_of(p, 2).takeovers();

  const auto r = p.lbctl(2, {"make-active"});
  EXPECT_TRUE(r.ok()) << r.describe({"lbctl", "make-active"}) << r.out;
  ASSERT_TRUE(wait_until([&] { return settled_owner(p) == 2; }, 3s))
      << ha_text(p, 1) << ha_text(p, 2) << s.watch().timeline();
  ASSERT_TRUE(clients_served(s));

  EXPECT_EQ(p.wait_for_single_owner(1s), 2);
  EXPECT_EQ(ha_of(p, 2).takeovers(), takeovers_before + 1);
  EXPECT_GT(ha_of(p, 2).term(), 0u);
  EXPECT_EQ(s.sticky_server(), server_before) << s.sticky().describe();
  EXPECT_AUDIT(s);
  // lb1 released before lb2 took over: never two owners.
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
}

// Item 17. `lbctl make-active` on both nodes at the same moment, twice (from
// lb1 active, then from whoever won). make-active on the active node has
// nothing to do; on the passive one it asks the peer to release. Whatever the
// interleaving, the pair ends with exactly one owner, never two at once, and
// no make-active left pending. Budget: one switch-over.
TEST_F(operations, make_active_on_both_nodes_at_once_leaves_exactly_one_owner) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "make_active_on_both_at_once", {.outage_budget = make_active_budget});
  ASSERT_TRUE(clients_served(s));
  for (int round = 1; round <= 2; ++round) {
    command_result r1, r2;
    std::thread t1([&] { r1 = p.lbctl(1, {"make-active"}); });
    std::thread t2([&] { r2 = p.lbctl(2, {"make-active"}); });
    t1.join();
    t2.join();
    std::cout << "round " << round << ": lb1 make-active: " << r1.out << r1.err
              << "lb2 make-active: " << r2.out << r2.err;
    int owner = 0;
    ASSERT_TRUE(wait_until([&] { return (owner = settled_owner(p)) != 0; }, 3s))
        << ha_text(p, 1) << ha_text(p, 2) << s.watch().timeline();
    EXPECT_EQ(p.wait_for_single_owner(1s), owner);
    std::cout << "round " << round << ": owner lb" << owner << "\n";
    ASSERT_TRUE(clients_served(s));
  }
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
}

// Item 16. IPv6: the active node's cable is pulled. lb2 hears nothing for
// deadtime, its duplicate address detection probe (with nonce) is not
// defended, it adds [2001:db8::100] and sends unsolicited neighbour
// advertisements (Override) to ff02::1. The ping node client3 talked to the
// VIP before and not after: its neighbour entry moved to lb2's MAC by the
// advertisement alone. Budget: takeover_budget.
TEST_F(operations, ipv6_vip_moves_by_unsolicited_neighbour_advertisement) {
  auto& p = make_product({.ipv6 = true});
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  const auto& bystander = p.ping_node();
  ASSERT_TRUE(tcp_connect(bystander.netns, product_lab::iis6_vip, product_lab::iis_port));
  const auto neighbour_of_vip = [&] {
    const auto r = p.lab().exec(bystander.name,
                                {"ip", "-j", "-6", "neigh", "show", "to", product_lab::iis6_vip});
    return neighbour_mac(r.out, product_lab::iis6_vip).value_or("");
  };
  const auto mac_of = [&](int i) {
    return link_mac(
               p.lab().exec_checked(p.lb(i).name, {"ip", "-j", "link", "show", "dev", "eth0"}).out)
        .value_or("?");
  };
  ASSERT_EQ(neighbour_of_vip(), mac_of(1));

  scenario s(p, "ipv6_failover_unsolicited_na", {.outage_budget = takeover_budget});
  ASSERT_TRUE(clients_served(s));
  p.lab().link_down("lb1");
  ASSERT_TRUE(wait_until(
      [&] {
        return p.owner_of(product_lab::iis6_vip) != 1 && ha_of(p, 2).role() == v1::ROLE_ACTIVE;
      },
      3s))
      << ha_text(p, 2) << s.watch().timeline();
  EXPECT_TRUE(ha_of(p, 2).vips_held());
  // client3 sent nothing since: only the advertisement can have moved its entry.
  EXPECT_TRUE(wait_until([&] { return neighbour_of_vip() == mac_of(2); }, 1s))
      << "client3's entry for " << product_lab::iis6_vip << ": " << neighbour_of_vip()
      << ", lb2: " << mac_of(2);
  ASSERT_TRUE(clients_served(s));

  // The cable back: lb1 rejoins passive (no automatic failback).
  p.lab().link_up("lb1");
  ASSERT_TRUE(wait_until([&] { return settled_owner(p) == 2; }, 5s)) << ha_text(p, 1);
  EXPECT_AUDIT(s);
}

// Item 13. lb2 (passive, secondary) loses /etc/lbha/* and /var/lib/lbha/*
// and reboots. What README.md tells the operator: install node.yaml again
// ("Pairing two real machines", step 1), unlock the login user's password
// that `lbctl pair --lock-password` locked (replicator/pairing/README.md:
// `usermod -U`), then on the primary `lbctl unpair` (it still holds the old
// pairing: "already paired ... run `lbctl unpair` first") and `lbctl pair`
// again. Catch-up alone cannot do it: the heartbeat key, pair certificate and
// pairing identity are gone, so lb2 sends no heartbeats and takes no push.
// lb1 serves throughout (budget 0) and lb2 never holds a VIP.
TEST_F(operations, a_secondary_that_lost_its_state_and_config_is_paired_again_by_the_primary) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "secondary_lost_state_and_config", {.outage_budget = 0ms});
  ASSERT_TRUE(clients_served(s));
  ASSERT_TRUE(persistence_replicated(p));
  std::string node_yaml;
  {
    std::ifstream in(p.lb(2).node_yaml());
    node_yaml.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_FALSE(node_yaml.empty());

  p.power_off(2);
  for (const auto& dir : {p.lb(2).etc_dir(), p.lb(2).state_dir()}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::filesystem::remove_all(entry.path());
    }
  }
  {
    std::ofstream out(p.lb(2).node_yaml());
    out << node_yaml;
  }
  std::filesystem::permissions(p.lb(2).node_yaml(), std::filesystem::perms(0644));
  p.boot(2);
  const auto lone = ha_of(p, 2);
  EXPECT_TRUE(lone.standalone()) << ha_text(p, 2);
  EXPECT_EQ(lone.vips_size(), 0) << ha_text(p, 2);
  EXPECT_EQ(p.owner_of(product_lab::iis_vip), 1);

  // The operator brings it back.
  p.lab().exec_checked("lb2", {"usermod", "-U", product_lab::login_user});
  const auto unpaired = p.lbctl(1, {"unpair"});
  ASSERT_TRUE(unpaired.ok()) << unpaired.describe({"lbctl", "unpair"}) << unpaired.out;
  // lb1 kept serving: unpaired, it is active alone with its VIPs.
  EXPECT_EQ(p.owner_of(product_lab::iis_vip), 1);
  const auto paired = p.pair();
  ASSERT_TRUE(paired.ok()) << paired.describe({"lbctl", "pair"}) << paired.out;
  std::cout << "lbctl pair on lb1: " << paired.out;

  EXPECT_TRUE(wait_until(
      [&] {
        const auto a = ha_of(p, 1);
        const auto b = ha_of(p, 2);
        return b.peer_alive() && a.peer_alive() && b.config_generation() == a.config_generation() &&
               settled_owner(p) == 1;
      },
      10s))
      << ha_text(p, 1) << ha_text(p, 2);
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now = sync_of(p, 2);
        return now.paired() && now.peers_size() == 1 && now.peers(0).connected();
      },
      10s))
      << p.lbctl(2, {"sync", "status"}).out;
  EXPECT_EQ(p.lab().exec_checked("lb1", {"cat", "/etc/lbha/cluster.yaml"}).out,
            p.lab().exec_checked("lb2", {"cat", "/etc/lbha/cluster.yaml"}).out);
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().timeline().find("lb2 add"), std::string::npos) << s.watch().timeline();
}

// Item 15. A third host (client2) sends heartbeats to both nodes: a captured
// one replayed from the real sender's address, captured ones altered (a
// higher priority and term: "I am active, yield"), one of another cluster,
// garbage and a truncated one. And it opens the peers port (TCP 7778) with a
// plaintext hello claiming to be lb2; a process on lb2 itself does the same
// from lb2's address (the address check passes, TLS with pair.pem does not).
// Every packet is dropped and counted by its reason (lbctl status --json,
// `lbctl ha status`), every connection refused and counted (`lbctl sync
// status --json`); no role, term or persistence entry changes.
TEST_F(operations, forged_heartbeats_and_peers_sessions_are_dropped_and_counted) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "forged_heartbeats_and_peers", {.outage_budget = 0ms});
  ASSERT_TRUE(clients_served(s));
  ASSERT_TRUE(persistence_replicated(p));
  const auto& attacker = p.lab().client(2);
  const auto table_before = parse_persistence(p.lbctl(1, {"persistence", "show", "--json"}).out);
  ASSERT_TRUE(table_before);
  const v1::HaStatus before[3] = {{}, ha_of(p, 1), ha_of(p, 2)};
  const v1::SyncStatus sync_before[3] = {{}, sync_of(p, 1), sync_of(p, 2)};
  ASSERT_TRUE(sync_before[1].paired()) << p.lbctl(1, {"sync", "status"}).out;

  constexpr int copies = 5;
  for (int target : {1, 2}) {
    const int sender = other(target);
    const auto captured = capture_heartbeat(p.lb(target).netns, p.lb(sender).ipv4);
    ASSERT_EQ(captured.size(), 96u) << "no heartbeat from lb" << sender << " captured";
    auto escalated = captured;  // "active, priority 255, term + 1000": must not be believed
    escalated[5] = 3;
    escalated[6] = static_cast<char>(255);
    escalated[32] = static_cast<char>(escalated[32] + 1);
    auto foreign = captured;  // another cluster's
    for (int k = 8; k < 24; ++k) foreign[k] = static_cast<char>(foreign[k] ^ 0x5a);
    std::string garbage(96, 'x');
    const std::string truncated = captured.substr(0, 40);
    for (int k = 0; k < copies; ++k) {
      send_spoofed_udp(attacker.netns, p.lb(sender).ipv4, p.lb(target).ipv4, captured);
      send_spoofed_udp(attacker.netns, p.lb(sender).ipv4, p.lb(target).ipv4, escalated);
      send_spoofed_udp(attacker.netns, attacker.ipv4, p.lb(target).ipv4, foreign);
      send_spoofed_udp(attacker.netns, attacker.ipv4, p.lb(target).ipv4, garbage);
      send_spoofed_udp(attacker.netns, attacker.ipv4, p.lb(target).ipv4, truncated);
    }
  }
  for (int i : {1, 2}) {
    const auto& b = before[i];
    EXPECT_TRUE(wait_until(
        [&] {
          const auto now = ha_of(p, i);
          return dropped(now, "replayed") >= dropped(b, "replayed") + copies &&
                 dropped(now, "bad_hmac") >= dropped(b, "bad_hmac") + copies &&
                 dropped(now, "wrong_cluster") >= dropped(b, "wrong_cluster") + copies &&
                 dropped(now, "bad_magic") >= dropped(b, "bad_magic") + copies &&
                 dropped(now, "truncated") >= dropped(b, "truncated") + copies;
        },
        2s))
        << ha_text(p, i);
    // The operator sees them in `lbctl ha status` too.
    EXPECT_NE(ha_text(p, i).find("dropped replayed"), std::string::npos) << ha_text(p, i);
  }

  // The peers port: a third host, then lb2's own address without the pair's TLS.
  const std::string hello = "HAProxyS 2.1\nlb1\nlb2 4242 1\n";
  const auto from_third = forge_peers_session(attacker.netns, "", p.lb(1).ipv4, 7778, hello);
  EXPECT_TRUE(!from_third.connected || from_third.closed_by_peer) << from_third.answer;
  const auto from_peer_address =
      forge_peers_session(p.lb(2).netns, p.lb(2).ipv4, p.lb(1).ipv4, 7778, hello);
  EXPECT_TRUE(from_peer_address.connected);
  EXPECT_TRUE(from_peer_address.closed_by_peer) << from_peer_address.answer;
  // No peers-protocol status line ("200") was ever sent back.
  EXPECT_EQ(from_peer_address.answer.find("200"), std::string::npos) << from_peer_address.answer;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now = sync_of(p, 1);
        return now.refused_connections() > sync_before[1].refused_connections() &&
               now.refused_unauthenticated() > sync_before[1].refused_unauthenticated();
      },
      2s))
      << p.lbctl(1, {"--json", "sync", "status"}).out;
  // The pair's own session is still up.
  EXPECT_TRUE(wait_until(
      [&] {
        const auto now = sync_of(p, 1);
        return now.peers_size() == 1 && now.peers(0).connected();
      },
      3s))
      << p.lbctl(1, {"sync", "status"}).out;

  // Nothing moved.
  for (int i : {1, 2}) {
    const auto now = ha_of(p, i);
    EXPECT_EQ(now.role(), before[i].role()) << ha_text(p, i);
    EXPECT_EQ(now.term(), before[i].term()) << ha_text(p, i);
    EXPECT_EQ(now.takeovers(), before[i].takeovers()) << ha_text(p, i);
    EXPECT_TRUE(now.peer_alive()) << ha_text(p, i);
  }
  // Same clients on the same servers (expiry aside); the audit compares lb2's.
  EXPECT_EQ(parse_persistence(p.lbctl(1, {"persistence", "show", "--json"}).out), table_before);
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
}

// Item 19. SSH (TCP 22) between the nodes is cut, heartbeats and syncd keep
// flowing: the secondary is cut off from config replication only. A VIP added
// on the primary is committed and served there; the command fails naming lb2.
// After the heal the secondary catches up by itself (replicator/pairing/README.md,
// "Catch-up": lb2's heartbeats carry its older generation, lb1's replicatord
// pushes), with no lbctl command. No client sees anything (budget 0).
TEST_F(operations, a_secondary_cut_off_from_replication_catches_up_by_itself) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "config_while_secondary_partitioned", {.outage_budget = 0ms});
  ASSERT_TRUE(clients_served(s));
  const auto generation_before = ha_of(p, 2).config_generation();

  const int cut = p.lab().partition("lb1", "lb2", {.port = port_match{transport::tcp, 22}});
  const auto r = p.lbctl(1, {"vip", "add", "NEW_VIP", "--ip", "192.0.2.102", "--ports", "8080",
                             "--persistence", "none"});
  EXPECT_FALSE(r.ok()) << "the push to lb2 cannot have succeeded: " << r.out;
  EXPECT_NE((r.out + r.err).find("lb2"), std::string::npos) << r.out << r.err;
  const auto generation = ha_of(p, 1).config_generation();
  EXPECT_EQ(generation, generation_before + 1) << ha_text(p, 1);
  EXPECT_TRUE(wait_until([&] { return p.owner_of("192.0.2.102") == 1; }, 2s));
  EXPECT_EQ(ha_of(p, 2).config_generation(), generation_before);

  p.lab().heal(cut);
  const auto healed = steady_clock::now();
  EXPECT_TRUE(wait_until([&] { return ha_of(p, 2).config_generation() == generation; }, 70s))
      << p.lbctl(1, {"replication", "status"}).out;
  std::cout << "lb2 caught up "
            << std::chrono::duration_cast<milliseconds>(steady_clock::now() - healed).count()
            << " ms after the heal\n";
  EXPECT_NE(p.lbctl(2, {"vip", "list"}).out.find("NEW_VIP"), std::string::npos);
  EXPECT_EQ(p.wait_for_single_owner(1s), 1);
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
}

// Item 22. On the active node, under the clients' probes and with a
// long-lived keep-alive connection from client2 through DA_VIP: `lbctl
// reload`, `lbctl vip modify DA_VIP --client-timeout 10m` and `lbctl rip add`
// (a weight-0 server). proxyd reloads without dropping connections and
// heartbeatd keeps the VIPs it still serves (proxy/README.md, heartbeatd
// "Lifecycle"): no VIP event at all, the held connection still answers, no
// probe fails (budget 0).
TEST_F(operations, reload_and_config_changes_on_the_active_node_move_no_vip_and_drop_nothing) {
  auto& p = make_product();
  ASSERT_EQ(p.wait_for_single_owner(10s), 1);
  scenario s(p, "reload_and_config_change_under_load", {.outage_budget = 0ms});
  ASSERT_TRUE(clients_served(s));
  held_connection held(p.lab().client(2).netns, product_lab::da_vip, product_lab::da_port);
  ASSERT_TRUE(held.connected());
  const auto first = held.request();
  ASSERT_NE(first.find("server DA"), std::string::npos) << first;

  const std::vector<std::vector<std::string>> changes = {
      {"reload"},
      {"vip", "modify", "DA_VIP", "--client-timeout", "10m"},
      {"rip", "add", "DA_VIP", "DA3", "--ip", p.lab().server(2).ipv4, "--port", "443", "--weight",
       "0"},
      {"reload"}};
  for (const auto& change : changes) {
    const auto r = p.lbctl(1, change);
    EXPECT_TRUE(r.ok()) << r.describe(change) << r.out;
    const auto answer = held.request();
    EXPECT_EQ(answer, first) << "the held connection after lbctl " << change.front();
  }
  EXPECT_NE(p.lbctl(2, {"rip", "list", "DA_VIP"}).out.find("DA3"), std::string::npos);
  ASSERT_TRUE(clients_served(s));
  EXPECT_TRUE(no_vip_event(s.watch())) << s.watch().timeline();
  EXPECT_AUDIT(s);
  EXPECT_EQ(s.watch().worst_dual_owner(), 0ms) << s.watch().timeline();
  EXPECT_EQ(s.watch().worst_no_owner(), 0ms) << s.watch().timeline();
}

}  // namespace
}  // namespace lbha::lab
